//! Which unique constraint refused a write, by its name in the schema (migrations/). D1
//! reports SQLite's message: `UNIQUE constraint failed: links.domain, links.code` names the
//! columns of a unique index on columns, `UNIQUE constraint failed: index 'tags_owner_slug'`
//! an index on expressions. Callers match the constraint they expect (a taken code, a
//! taken tag name) and treat any other as the bug it is.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    /// `links_domain_code`: a code is unique per short domain.
    LinkCode,
    /// `tags_owner_slug`: a tag name (its slug) is unique per owner.
    TagSlug,
    /// `users.username` (UNIQUE column): a username belongs to one user.
    Username,
    /// Another unique constraint (a primary key, an index added later): the text says which.
    Other(&'static str),
    /// A foreign key: the row a write refers to is gone. In the API's writes that is the
    /// owner (`users`), deleted while another isolate still knew them (`auth`).
    Reference,
}

/// The constraints the service recognises: the name in the schema, and how SQLite names it.
const KNOWN: &[(Constraint, &str)] = &[
    (Constraint::LinkCode, "links.domain, links.code"),
    (Constraint::TagSlug, "index 'tags_owner_slug'"),
    (Constraint::Username, "users.username"),
];

const PREFIX: &str = "UNIQUE constraint failed: ";

/// The constraint a D1 error message names, or `None` if the message is no unique
/// constraint's.
pub fn recognise(message: &str) -> Option<Constraint> {
    if message.contains("FOREIGN KEY constraint failed") {
        return Some(Constraint::Reference);
    }
    let named = message.split(PREFIX).nth(1)?;
    // The message may go on after the constraint (`: SQLITE_CONSTRAINT`, D1's own suffix).
    let named = named.split(':').next().unwrap_or(named).trim();
    Some(KNOWN.iter().find(|(_, sqlite)| *sqlite == named).map_or(
        Constraint::Other("unrecognised unique constraint"),
        |(c, _)| *c,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_constraint_by_the_name_sqlite_gives_it() {
        assert_eq!(
            recognise(
                "D1_ERROR: UNIQUE constraint failed: links.domain, links.code: SQLITE_CONSTRAINT"
            ),
            Some(Constraint::LinkCode)
        );
        assert_eq!(
            recognise("UNIQUE constraint failed: index 'tags_owner_slug'"),
            Some(Constraint::TagSlug)
        );
        assert_eq!(
            recognise("UNIQUE constraint failed: users.username"),
            Some(Constraint::Username)
        );
        // A primary key is a unique constraint too, but not one a caller expects.
        assert!(matches!(
            recognise("UNIQUE constraint failed: links.id"),
            Some(Constraint::Other(_))
        ));
        // A constraint whose columns start like a known one is not that one.
        assert!(matches!(
            recognise("UNIQUE constraint failed: links.domain"),
            Some(Constraint::Other(_))
        ));
        assert_eq!(
            recognise("D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT"),
            Some(Constraint::Reference)
        );
        assert_eq!(recognise("D1_ERROR: no such table: links"), None);
        assert_eq!(recognise("NOT NULL constraint failed: links.url"), None);
    }
}
