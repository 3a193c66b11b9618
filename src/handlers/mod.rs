pub mod health;
pub mod links;
pub mod redirect;
