//! A user's profile fields as the dashboard syncs them (`PUT`/`PATCH /api/v1/users/{id}`).

/// `display_name`, at most (characters).
pub const MAX_DISPLAY_NAME: usize = 100;
/// `bio`, at most (characters).
pub const MAX_BIO: usize = 500;
