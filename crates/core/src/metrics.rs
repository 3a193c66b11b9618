//! Metrics: counters, histograms and gauges as plain data, merged across isolates, and
//! rendered in the Prometheus text format (0.0.4). Each isolate counts into its own
//! `Snapshot`, hands the deltas to one Durable Object now and then (off the hot path), and
//! the object merges them, so a scrape sees the whole worker.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Bucket bounds (seconds) of request durations.
pub const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Per bucket of `DURATION_BUCKETS` (not cumulative); the last slot is +Inf.
    pub buckets: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

/// Series are keyed by their full name with labels: `name{a="x",b="y"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    #[serde(default)]
    pub counters: BTreeMap<String, u64>,
    #[serde(default)]
    pub histograms: BTreeMap<String, Histogram>,
    /// Gauges that only move forward in time (timestamps): merging keeps the larger.
    #[serde(default)]
    pub gauges: BTreeMap<String, f64>,
}

fn escape(v: &str) -> std::borrow::Cow<'_, str> {
    // Series are built on every request: label values rarely need escaping, so no copy then.
    if !v.contains(['\\', '"', '\n']) {
        return std::borrow::Cow::Borrowed(v);
    }
    std::borrow::Cow::Owned(
        v.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n"),
    )
}

/// `name{a="x",b="y"}` (labels in the given order; values escaped).
pub fn series(name: &str, labels: &[(&str, &str)]) -> String {
    // Built on every request (a few series each): one allocation, no intermediate strings.
    let len = labels
        .iter()
        .map(|(k, v)| k.len() + v.len() + 4)
        .sum::<usize>();
    let mut out = String::with_capacity(name.len() + len + 2);
    out.push_str(name);
    if labels.is_empty() {
        return out;
    }
    out.push('{');
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(k);
        out.push_str("=\"");
        out.push_str(&escape(v));
        out.push('"');
    }
    out.push('}');
    out
}

fn split(key: &str) -> (&str, &str) {
    match key.find('{') {
        Some(i) => (&key[..i], &key[i + 1..key.len() - 1]),
        None => (key, ""),
    }
}

impl Snapshot {
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty() && self.histograms.is_empty() && self.gauges.is_empty()
    }

    pub fn inc(&mut self, name: &str, labels: &[(&str, &str)], by: u64) {
        *self.counters.entry(series(name, labels)).or_default() += by;
    }

    pub fn observe(&mut self, name: &str, labels: &[(&str, &str)], seconds: f64) {
        let h = self
            .histograms
            .entry(series(name, labels))
            .or_insert_with(|| Histogram {
                buckets: vec![0; DURATION_BUCKETS.len() + 1],
                sum: 0.0,
                count: 0,
            });
        let slot = DURATION_BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(DURATION_BUCKETS.len());
        if let Some(b) = h.buckets.get_mut(slot) {
            *b += 1;
        }
        h.sum += seconds.max(0.0);
        h.count += 1;
    }

    pub fn set_latest(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let e = self.gauges.entry(series(name, labels)).or_insert(value);
        *e = e.max(value);
    }

    /// Adds another snapshot's deltas to this one.
    pub fn merge(&mut self, other: &Snapshot) {
        for (k, v) in &other.counters {
            *self.counters.entry(k.clone()).or_default() += v;
        }
        for (k, h) in &other.histograms {
            let mine = self
                .histograms
                .entry(k.clone())
                .or_insert_with(|| Histogram {
                    buckets: vec![0; h.buckets.len()],
                    sum: 0.0,
                    count: 0,
                });
            if mine.buckets.len() < h.buckets.len() {
                mine.buckets.resize(h.buckets.len(), 0);
            }
            for (i, b) in h.buckets.iter().enumerate() {
                mine.buckets[i] += b;
            }
            mine.sum += h.sum;
            mine.count += h.count;
        }
        for (k, v) in &other.gauges {
            let e = self.gauges.entry(k.clone()).or_insert(*v);
            *e = e.max(*v);
        }
    }

    /// The Prometheus text format. `help` gives each metric name its type and help text;
    /// series of names without help are still rendered (as untyped).
    pub fn render(&self, help: &[(&str, &str, &str)]) -> String {
        let mut by_name: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (k, v) in &self.counters {
            by_name
                .entry(split(k).0)
                .or_default()
                .push(format!("{k} {v}"));
        }
        for (k, v) in &self.gauges {
            by_name
                .entry(split(k).0)
                .or_default()
                .push(format!("{k} {v}"));
        }
        for (k, h) in &self.histograms {
            let (name, labels) = split(k);
            let lines = by_name.entry(name).or_default();
            let sep = if labels.is_empty() { "" } else { "," };
            let mut cumulative = 0;
            for (i, b) in h.buckets.iter().enumerate() {
                cumulative += b;
                let le = DURATION_BUCKETS
                    .get(i)
                    .map_or("+Inf".to_string(), |b| b.to_string());
                lines.push(format!(
                    "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
                ));
            }
            let braces = if labels.is_empty() {
                String::new()
            } else {
                format!("{{{labels}}}")
            };
            lines.push(format!("{name}_sum{braces} {}", h.sum));
            lines.push(format!("{name}_count{braces} {}", h.count));
        }
        let mut out = String::new();
        for (name, lines) in by_name {
            if let Some((_, kind, text)) = help.iter().find(|(n, _, _)| *n == name) {
                out.push_str(&format!("# HELP {name} {text}\n# TYPE {name} {kind}\n"));
            }
            for l in lines {
                out.push_str(&l);
                out.push('\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELP: &[(&str, &str, &str)] = &[
        ("http_requests_total", "counter", "Requests answered"),
        (
            "http_request_duration_seconds",
            "histogram",
            "Time to answer",
        ),
        (
            "backup_last_success_timestamp_seconds",
            "gauge",
            "Last backup",
        ),
    ];

    #[test]
    fn counters_merge_and_render() {
        let mut a = Snapshot::default();
        a.inc(
            "http_requests_total",
            &[("method", "GET"), ("status", "302")],
            2,
        );
        let mut b = Snapshot::default();
        b.inc(
            "http_requests_total",
            &[("method", "GET"), ("status", "302")],
            3,
        );
        b.inc(
            "http_requests_total",
            &[("method", "GET"), ("status", "404")],
            1,
        );
        a.merge(&b);
        let text = a.render(HELP);
        assert_eq!(
            text,
            "# HELP http_requests_total Requests answered\n# TYPE http_requests_total counter\n\
             http_requests_total{method=\"GET\",status=\"302\"} 5\n\
             http_requests_total{method=\"GET\",status=\"404\"} 1\n"
        );
    }

    #[test]
    fn histograms_are_cumulative_with_inf_sum_and_count() {
        let mut s = Snapshot::default();
        for v in [0.0, 0.003, 0.2, 30.0] {
            s.observe("http_request_duration_seconds", &[("route", "redirect")], v);
        }
        let text = s.render(HELP);
        assert!(text.contains("# TYPE http_request_duration_seconds histogram\n"));
        assert!(text
            .contains("http_request_duration_seconds_bucket{route=\"redirect\",le=\"0.001\"} 1\n"));
        assert!(text
            .contains("http_request_duration_seconds_bucket{route=\"redirect\",le=\"0.005\"} 2\n"));
        assert!(text
            .contains("http_request_duration_seconds_bucket{route=\"redirect\",le=\"0.25\"} 3\n"));
        assert!(text
            .contains("http_request_duration_seconds_bucket{route=\"redirect\",le=\"+Inf\"} 4\n"));
        assert!(text.contains("http_request_duration_seconds_count{route=\"redirect\"} 4\n"));
        assert!(text.contains("http_request_duration_seconds_sum{route=\"redirect\"} 30.203\n"));
        let mut twice = s.clone();
        twice.merge(&s);
        assert_eq!(twice.histograms.values().next().unwrap().count, 8);
    }

    #[test]
    fn gauges_keep_the_latest_and_labels_are_escaped() {
        let mut s = Snapshot::default();
        s.set_latest("backup_last_success_timestamp_seconds", &[], 100.0);
        let mut older = Snapshot::default();
        older.set_latest("backup_last_success_timestamp_seconds", &[], 50.0);
        s.merge(&older);
        assert!(s
            .render(HELP)
            .contains("backup_last_success_timestamp_seconds 100\n"));
        assert_eq!(series("x", &[("a", "q\"\\\n")]), "x{a=\"q\\\"\\\\\\n\"}");
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Snapshot>(&json).unwrap(), s);
    }
}
