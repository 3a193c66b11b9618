//! Unit tests of `pages`.

use super::*;

const DE: Chrome = Chrome {
    lang: Lang::De,
    home: false,
};
const EN: Chrome = Chrome {
    lang: Lang::En,
    home: true,
};

#[test]
fn german_unless_english_is_preferred() {
    assert_eq!(lang(None), Lang::De, "nothing said: ulo.ad is German");
    assert_eq!(lang(Some("fr")), Lang::De);
    assert_eq!(lang(Some("de-DE,de;q=0.9,en;q=0.8")), Lang::De);
    assert_eq!(lang(Some("fr-FR,en;q=0.5,de;q=0.7")), Lang::De);
    assert_eq!(lang(Some("en-US,de;q=0.9")), Lang::En);
    assert_eq!(lang(Some("en-GB")), Lang::En);
    assert_eq!(lang(Some("de;q=0,en;q=0.1")), Lang::En);
}

#[test]
fn the_password_form_posts_to_the_link_and_says_what_went_wrong() {
    let f = password_form(DE, "/promo", true);
    assert!(f.contains("action=\"/promo\"") && f.contains("name=\"password\""));
    assert!(f.contains("<label for=\"password\">Passwort</label>"));
    assert!(f.contains("role=\"alert\">Falsches Passwort"));
    assert!(f.contains("aria-describedby=\"password-error\"") && f.contains("autofocus"));
    let ok = password_form(EN, "/promo", false);
    assert!(!ok.contains("Wrong password") && !ok.contains("aria-invalid"));
    assert!(ok.contains("lang=\"en\""));
}

#[test]
fn escapes_html() {
    assert_eq!(
        escape_html("<a href=\"x\">Tom & 'J'</a>"),
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;J&#39;&lt;/a&gt;"
    );
}

#[test]
fn pages_are_localised_and_link_home_only_when_the_app_answers() {
    let de = VisitorError::NotFound.html(DE, None);
    assert!(de.contains("lang=\"de\"") && de.contains("nicht gefunden"));
    assert!(!de.contains("href=\"/\""), "the app is down: no link to it");
    let en = VisitorError::Gone.html(EN, None);
    assert!(en.contains("no longer available") && en.contains("href=\"/\""));
    assert!(en.len() < 6 * 1024, "a few KB: {}", en.len());
    assert_eq!(VisitorError::Gone.problem("x").status, 410);
    assert_eq!(VisitorError::Unavailable.problem("x").retry_after, Some(30));
}

#[test]
fn maintenance_says_when_to_come_back() {
    // 2026-11-25T14:30:10Z, back in 5 minutes: 14:35:10 → "14:36".
    let retry = Retry {
        after_s: 300,
        now_ms: 1_795_617_010_000,
    };
    let de = VisitorError::Unavailable.html(DE, Some(retry));
    assert!(de.contains("in etwa 5 Minuten"), "{de}");
    assert!(
        de.contains("<time datetime=\"2026-11-25T14:36:00.000Z\">14:36 Uhr UTC</time>"),
        "{de}"
    );
    let en = VisitorError::Unavailable.html(
        EN,
        Some(Retry {
            after_s: 30,
            now_ms: 1_795_617_000_000,
        }),
    );
    assert!(
        en.contains(
            "about a minute (at <time datetime=\"2026-11-25T14:31:00.000Z\">14:31 UTC</time>)"
        ),
        "{en}"
    );
}

#[test]
fn bio_pages_escape_everything_and_show_no_target() {
    let page = bio_page(
        DE,
        "<Ann>",
        Some("Bio & more"),
        &[("https://ulo.ad/u/a/cv".into(), "My \"CV\"".into())],
    );
    assert!(page.contains("<h1>&lt;Ann&gt;</h1>") && page.contains("Bio &amp; more"));
    assert!(page.contains("<a href=\"https://ulo.ad/u/a/cv\">My &quot;CV&quot;</a>"));
    assert!(page.contains("aria-hidden=\"true\">&lt;</div>"));
    assert!(bio_page(EN, "Ann", None, &[]).contains("No links yet."));
    assert_eq!(bio_label(Some(" My CV "), "https://ulo.ad/u/a/cv"), "My CV");
    assert_eq!(bio_label(None, "https://ulo.ad/u/a/cv"), "ulo.ad/u/a/cv");
}

#[test]
fn preview_cards_escape_every_value_and_fall_back_to_a_summary_card() {
    let preview = crate::link::Preview {
        title: Some("Sale \"now\" <b>".into()),
        description: Some("50% & more".into()),
        image: Some("https://img.example/a.png?x=1&y=\"2\"".into()),
    };
    let page = preview_page(
        &preview,
        "https://ulo.ad/abc",
        "https://shop.example/?a=1&b=2",
    );
    assert!(
        page.contains("<meta property=\"og:title\" content=\"Sale &quot;now&quot; &lt;b&gt;\">")
    );
    assert!(page.contains("<meta property=\"og:description\" content=\"50% &amp; more\">"));
    assert!(page.contains("content=\"https://img.example/a.png?x=1&amp;y=&quot;2&quot;\""));
    assert!(page.contains("<meta name=\"twitter:card\" content=\"summary_large_image\">"));
    assert!(page.contains("<meta property=\"og:url\" content=\"https://ulo.ad/abc\">"));
    assert!(page.contains("content=\"0;url=https://shop.example/?a=1&amp;b=2\""));
    assert!(!page.contains("<b>"), "{page}");
    let bare = preview_page(
        &crate::link::Preview::default(),
        "https://ulo.ad/abc",
        "https://shop.example/",
    );
    assert!(bare.contains("<meta name=\"twitter:card\" content=\"summary\">"));
    assert!(bare.contains("<title>https://ulo.ad/abc</title>") && !bare.contains("og:image"));
}

#[test]
fn the_inspection_page_shows_an_open_target_as_text_and_hides_a_protected_one() {
    use crate::inspect::{Inspection, State};
    let mut i = Inspection {
        code: "abc".into(),
        short_url: "https://ulo.ad/abc".into(),
        title: Some("<Docs>".into()),
        created_at: Some("2026-01-02T03:04:05Z".into()),
        state: State::Active,
        protected: false,
        limited: false,
        target: Some("https://example.com/?q=<x>".into()),
        other_targets: false,
    };
    let page = inspect_page(EN, &i, "/abc");
    assert!(
        page.contains("<code>https://example.com/?q=%3Cx%3E</code>")
            || page.contains("<code>https://example.com/?q=&lt;x&gt;</code>"),
        "{page}"
    );
    assert!(page.contains("&lt;Docs&gt;") && page.contains(">2026-01-02</time>"));
    assert!(page.contains("<a class=\"button\" href=\"/abc\">Open the link</a>"));
    assert!(
        !page.contains("href=\"https://example.com"),
        "the target is never a link"
    );
    i.target = None;
    i.protected = true;
    let page = inspect_page(DE, &i, "/abc");
    assert!(page.contains("Passwortgeschützt") && !page.contains("example.com"));
    i.state = State::Blocked;
    let page = inspect_page(EN, &i, "/abc");
    assert!(page.contains("Disabled") && !page.contains("Open the link"));
}
