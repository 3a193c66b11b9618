//! Whether uLoad's app answers, as far as this isolate knows: the circuit breaker in front
//! of it (`uload_core::origin::Breaker`), and what visitor pages make of it (a link home
//! only while the app is reachable).

use std::cell::RefCell;

use worker::Request;

use crate::{http, runtime};
use uload_core::origin::Breaker;
use uload_core::pages::Chrome;

thread_local! {
    static BREAKER: RefCell<Breaker> = RefCell::new(Breaker::default());
}

/// This isolate's breaker, to ask or to tell.
pub fn with_breaker<R>(f: impl FnOnce(&mut Breaker) -> R) -> R {
    BREAKER.with(|b| f(&mut b.borrow_mut()))
}

/// Whether uLoad's app is configured and, as far as this isolate knows, answering (its
/// circuit breaker is closed): then the worker's pages link to its home page.
pub fn app_reachable() -> bool {
    runtime::loaded_config().is_some_and(|c| c.origin_url.is_some())
        && !with_breaker(|b| b.is_open(crate::clock::now_ms()))
}

/// What every visitor page needs from the request: its language, and whether to link home.
pub fn chrome(req: &Request) -> Chrome {
    Chrome {
        lang: http::lang(req),
        home: app_reachable(),
    }
}
