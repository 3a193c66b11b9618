//! What a User-Agent says about a click: browser, OS, device type, and whether it is a bot.
//! Parsing is woothee's (a maintained, data-driven parser that compiles to wasm); on top of
//! it a short list of automated agents that woothee files as browsers or does not know:
//! link previewers (they fetch a link the moment it is posted), uptime checkers and HTTP
//! libraries. None of them is a person clicking.

use std::sync::OnceLock;

/// Substrings (lower case) of User-Agents that are never a person. Many previewers send
/// browser-like agents with their name appended ("… Chrome/… Slackbot …"), so substrings.
const AUTOMATED: &[&str] = &[
    "bot",
    "crawler",
    "spider",
    "slurp",
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "embedly",
    "preview",
    "whatsapp",
    "telegram",
    "discord",
    "slack",
    "skype",
    "vkshare",
    "pinterest",
    "snapchat",
    "iframely",
    "outbrain",
    "qwantify",
    "redditbot",
    "linkedinbot",
    "mastodon",
    "bluesky",
    "uptime",
    "pingdom",
    "statuscake",
    "site24x7",
    "monitor",
    "check_http",
    "nagios",
    "zabbix",
    "headlesschrome",
    "phantomjs",
    "lighthouse",
    "curl/",
    "wget/",
    "httpie/",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "go-http-client",
    "okhttp",
    "java/",
    "apache-httpclient",
    "node-fetch",
    "undici",
    "axios/",
    "libwww-perl",
    "scrapy",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub browser: String,
    pub os: String,
    /// desktop | mobile | tablet | bot | other
    pub device: &'static str,
    pub bot: bool,
}

fn parser() -> &'static woothee::parser::Parser {
    static PARSER: OnceLock<woothee::parser::Parser> = OnceLock::new();
    PARSER.get_or_init(woothee::parser::Parser::new)
}

/// One name per OS family (woothee names each Windows version and iOS device apart).
fn os_family(os: &str) -> &str {
    match os {
        "iPhone" | "iPad" | "iPod" | "iOS" => "iOS",
        "Mac OSX" | "Mac OS Classic" => "macOS",
        "ChromeOS" => "ChromeOS",
        "UNKNOWN" | "" => "Other",
        o if o.starts_with("Windows") => "Windows",
        o => o,
    }
}

pub fn classify(user_agent: &str) -> Agent {
    let ua = user_agent.trim();
    let lower = ua.to_ascii_lowercase();
    let listed = ua.is_empty() || AUTOMATED.iter().any(|s| lower.contains(s));
    let parsed = parser().parse(ua);
    let (name, category, os) = parsed
        .as_ref()
        .map_or(("UNKNOWN", "UNKNOWN", "UNKNOWN"), |r| {
            (r.name, r.category, r.os)
        });
    let bot = listed || category == "crawler";
    let os = os_family(os).to_string();
    let device = if bot {
        "bot"
    } else {
        match category {
            "pc" => "desktop",
            "smartphone" | "mobilephone" => {
                // iPads, and Android devices whose agent lacks "Mobile" (Google's rule).
                let android_tablet = os == "Android" && !ua.contains("Mobile");
                if name == "iPad" || ua.contains("iPad") || android_tablet {
                    "tablet"
                } else {
                    "mobile"
                }
            }
            _ => "other",
        }
    };
    let browser = match name {
        "UNKNOWN" | "" => "Other",
        // woothee names the agent of a smartphone after the device when no browser is known.
        "iPhone" | "iPad" | "iPod" => "Safari",
        n => n,
    }
    .to_string();
    Agent {
        browser,
        os,
        device,
        bot,
    }
}

/// `classify` with a memory: the same few hundred User-Agents make most clicks, and parsing
/// one (dozens of patterns) costs far more than a lookup. Cleared when full.
pub struct Classifier {
    memo: std::collections::HashMap<String, Agent>,
    capacity: usize,
}

impl Classifier {
    pub fn new(capacity: usize) -> Self {
        Classifier {
            memo: std::collections::HashMap::new(),
            capacity,
        }
    }

    pub fn classify(&mut self, user_agent: &str) -> Agent {
        if let Some(a) = self.memo.get(user_agent) {
            return a.clone();
        }
        let agent = classify(user_agent);
        if self.memo.len() >= self.capacity {
            self.memo.clear();
        }
        self.memo.insert(user_agent.to_string(), agent.clone());
        agent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
    const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
    const FIREFOX_MAC: &str =
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0";
    const ANDROID_PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
    const ANDROID_TABLET: &str = "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
    const IPAD: &str = "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

    #[test]
    fn browsers_os_and_devices() {
        let a = classify(CHROME_WIN);
        assert_eq!(
            (a.browser.as_str(), a.os.as_str(), a.device, a.bot),
            ("Chrome", "Windows", "desktop", false)
        );
        let a = classify(SAFARI_IPHONE);
        assert_eq!(
            (a.browser.as_str(), a.os.as_str(), a.device),
            ("Safari", "iOS", "mobile")
        );
        let a = classify(FIREFOX_MAC);
        assert_eq!(
            (a.browser.as_str(), a.os.as_str(), a.device),
            ("Firefox", "macOS", "desktop")
        );
        let a = classify(ANDROID_PHONE);
        assert_eq!((a.os.as_str(), a.device), ("Android", "mobile"));
        assert_eq!(classify(ANDROID_TABLET).device, "tablet");
        assert_eq!(classify(IPAD).device, "tablet");
        assert_eq!(classify(IPAD).os, "iOS");
    }

    #[test]
    fn crawlers_previewers_and_checkers_are_bots() {
        for ua in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Twitterbot/1.0",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_1) AppleWebKit/600.2.5 (KHTML, like Gecko) Version/8.0.2 Safari/600.2.5 (Applebot/0.1)",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "TelegramBot (like TwitterBot)",
            "WhatsApp/2.23.20.0",
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
            "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
            "curl/8.5.0",
            "python-requests/2.31.0",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36",
            "",
        ] {
            let a = classify(ua);
            assert!(a.bot, "{ua:?} is a bot");
            assert_eq!(a.device, "bot", "{ua:?}");
        }
    }

    #[test]
    fn people_are_not_bots() {
        for ua in [CHROME_WIN, SAFARI_IPHONE, FIREFOX_MAC, ANDROID_PHONE, IPAD] {
            assert!(!classify(ua).bot, "{ua}");
        }
    }

    #[test]
    fn the_classifier_remembers_and_stays_bounded() {
        let mut c = Classifier::new(2);
        for ua in [CHROME_WIN, SAFARI_IPHONE, CHROME_WIN, FIREFOX_MAC, "curl/8"] {
            assert_eq!(c.classify(ua), classify(ua));
        }
        assert!(c.memo.len() <= 2);
    }

    #[test]
    fn garbage_is_other_not_a_panic() {
        let a = classify("\u{0}\u{fffd} ☃ (((( ;;;");
        assert_eq!(a.browser, "Other");
        assert_eq!(a.device, "other");
        let long = "Mozilla/5.0 ".repeat(2000);
        let _ = classify(&long);
    }
}
