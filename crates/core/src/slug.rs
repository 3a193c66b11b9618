//! Slugs of tag names: what makes "News", "news " and "NEWS" one tag.

pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
            dash = false;
        } else if !out.is_empty() && !dash {
            out.push('-');
            dash = true;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs() {
        assert_eq!(slugify("News"), "news");
        assert_eq!(slugify("  Summer Sale 2026! "), "summer-sale-2026");
        assert_eq!(slugify("Über/Uns"), "über-uns");
        assert_eq!(slugify("--a--b--"), "a-b");
        assert_eq!(slugify("!!!"), "");
    }
}
