//! What `GET /api/v1/links/{id}/stats` answers, as types: the handler fills them in, and
//! their JSON Schemas are the OpenAPI document's (crates/openapi).

use schemars::JsonSchema;
use serde::Serialize;

use super::{Counts, Interval};

/// Clicks in a span, a bucket or a breakdown entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "Counts", deny_unknown_fields)]
pub struct CountsView {
    /// Clicks by people; with include_bots=true, people and bots.
    pub clicks: u64,
    /// Clicks by bots.
    pub bots: u64,
    /// People counted once per UTC day (first visits of the day in this span).
    pub unique_visitors: u64,
}

impl CountsView {
    pub fn new(c: Counts, include_bots: bool) -> Self {
        CountsView {
            clicks: c.clicks + if include_bots { c.bots } else { 0 },
            bots: c.bots,
            unique_visitors: c.visitors,
        }
    }
}

/// One bucket of the series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SeriesPoint {
    /// Start of the hour or day, with the offset of tz at that time.
    #[schemars(extend("format" = "date-time"))]
    pub start: String,
    #[serde(flatten)]
    pub counts: CountsView,
}

/// One value of a breakdown (a country, a referrer, a browser…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TopEntry {
    /// null: unknown (no Referer, no country).
    pub value: Option<String>,
    #[serde(flatten)]
    pub counts: CountsView,
}

/// One city of the breakdown, with its country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CityEntry {
    pub value: Option<String>,
    pub country: Option<String>,
    #[serde(flatten)]
    pub counts: CountsView,
}

/// The link's counters since it was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct AllTime {
    pub clicks: u64,
    pub bots: u64,
    #[schemars(extend("format" = "date-time"))]
    pub last_clicked_at: Option<String>,
}

/// The breakdowns, most clicks first, `top` entries each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct Breakdowns {
    /// ISO 3166-1 alpha-2 codes from request.cf.
    pub countries: Vec<TopEntry>,
    pub cities: Vec<CityEntry>,
    pub referrers: Vec<TopEntry>,
    pub browsers: Vec<TopEntry>,
    pub os: Vec<TopEntry>,
    pub devices: Vec<TopEntry>,
}

impl Breakdowns {
    /// The list of a rollup dimension (`country`, `referrer`…), for the entries other than
    /// cities; `None` for a dimension the API does not show.
    pub fn list(&mut self, dim: &str) -> Option<&mut Vec<TopEntry>> {
        Some(match dim {
            "country" => &mut self.countries,
            "referrer" => &mut self.referrers,
            "browser" => &mut self.browsers,
            "os" => &mut self.os,
            "device" => &mut self.devices,
            _ => return None,
        })
    }
}

/// A link's statistics over a span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LinkStats {
    pub link_id: String,
    /// Start (inclusive), with the offset of tz.
    #[schemars(extend("format" = "date-time"))]
    pub from: String,
    /// End (exclusive), with the offset of tz.
    #[schemars(extend("format" = "date-time"))]
    pub to: String,
    pub tz: String,
    #[schemars(extend("enum" = Interval::ALL.map(Interval::name)))]
    pub interval: &'static str,
    pub include_bots: bool,
    pub totals: CountsView,
    pub all_time: AllTime,
    /// Every bucket from the one containing from up to to, empty ones as zeros.
    pub series: Vec<SeriesPoint>,
    pub top: Breakdowns,
}
