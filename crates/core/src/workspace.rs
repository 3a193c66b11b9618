//! Workspaces (`PUT /api/v1/workspaces/{slug}`): their limits.

/// A workspace's name, at most (characters).
pub const MAX_NAME: usize = 100;
/// Members of one workspace, at most.
pub const MAX_MEMBERS: usize = 1000;
