//! Social previewers: the crawlers of social networks and messengers that render a card for
//! a posted link. A link with a preview of its own shows them that card instead of the
//! redirect (`pages::preview_page`). The list is a subset of a maintained one
//! (`social_previewers.txt`, from the crawler-user-agents package).

use std::sync::OnceLock;

const LIST: &str = include_str!("social_previewers.txt");

/// The list's patterns as lower-case substrings (regex escapes read as the character).
fn needles() -> &'static [String] {
    static NEEDLES: OnceLock<Vec<String>> = OnceLock::new();
    NEEDLES.get_or_init(|| {
        LIST.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| l.replace('\\', "").to_ascii_lowercase())
            .collect()
    })
}

/// Whether this User-Agent is a social network's or messenger's link previewer.
pub fn is_social_previewer(user_agent: &str) -> bool {
    // User-Agents are short; one lower-cased copy beats a case-insensitive search per needle.
    let ua = user_agent.to_ascii_lowercase();
    needles().iter().any(|n| ua.contains(n.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_big_networks_previewers_are_recognised_and_browsers_are_not() {
        for ua in [
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "facebookexternalhit/1.1 Facebot Twitterbot/1.0",
            "Twitterbot/1.0",
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "WhatsApp/2.23.20.0 A",
            "TelegramBot (like TwitterBot)",
            "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)",
        ] {
            assert!(is_social_previewer(ua), "{ua}");
        }
        for ua in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "curl/8.5.0",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "",
        ] {
            assert!(!is_social_previewer(ua), "{ua}");
        }
    }

    #[test]
    fn escapes_of_the_list_are_read_as_characters_and_comments_skipped() {
        assert!(needles().contains(&"pinterest.com/bot".to_string()));
        assert!(needles()
            .iter()
            .all(|n| !n.starts_with('#') && !n.is_empty()));
    }
}
