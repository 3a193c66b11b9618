// A redirect to another site (uLoad links out to its docs, payment pages, …). The tests
// set EXTERNAL_URL to a server of their own that records whether it was called.
import { redirect } from "@sveltejs/kit";
import { env } from "$env/dynamic/private";

export function GET() {
  redirect(302, `${env.EXTERNAL_URL ?? "https://example.com"}/landing`);
}
