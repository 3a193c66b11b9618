//! Restore safety: when the worker is in restore mode (API writes refused, crons skipped),
//! and which backups are fit to restore. The danger these rules answer: after a disaster
//! the worker runs on an empty D1 until someone restores; a write in that window blocks
//! the restore, a backup of the empty database would become "the newest", and the KV
//! audit would then see every redirect as orphaned.

use schemars::JsonSchema;
use serde::Serialize;

/// What an operator (or a restore in progress) recorded in D1's `operations` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Restore mode on, asked for explicitly (`PUT /api/v1/admin/restore-mode`).
    Pending,
    /// A restore is writing; since this Unix time in ms.
    Running { since_ms: u64 },
    /// Restore mode off, asked for explicitly: an empty database that is meant to be empty.
    Off,
}

impl Flag {
    pub fn parse(state: &str, updated_ms: u64) -> Option<Flag> {
        match state {
            "pending" => Some(Flag::Pending),
            "running" => Some(Flag::Running {
                since_ms: updated_ms,
            }),
            "off" => Some(Flag::Off),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Pending => "pending",
            Flag::Running { .. } => "running",
            Flag::Off => "off",
        }
    }
}

/// Restore mode as the admin API answers it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "RestoreMode", deny_unknown_fields)]
pub struct ModeView {
    /// pending or running: API writes answer 503 restore_mode and the crons skip.
    #[schemars(extend("enum" = ["off", "pending", "running"]))]
    pub mode: &'static str,
    /// Why writes are refused (null while off).
    pub reason: Option<&'static str>,
    /// What is recorded: auto = decided by the database (pending while D1 holds no user or
    /// link and a backup with links exists).
    #[schemars(extend("enum" = ["auto", "pending", "off", "running"]))]
    pub set: &'static str,
}

impl ModeView {
    pub fn new(flag: Option<Flag>, mode: Mode) -> Self {
        ModeView {
            mode: mode.as_str(),
            reason: mode.is_on().then(|| mode.reason()),
            set: flag.map_or("auto", Flag::as_str),
        }
    }
}

/// The member a restore-mode request accepts.
pub const MODE_FIELDS: &[&str] = &["mode"];

/// A restore that says it is running for longer than this died on the way (an isolate
/// was evicted): restore mode stays on, as pending, until someone restores or turns it off.
pub const RUNNING_STALE_MS: u64 = 15 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Normal operation.
    Off,
    /// Waiting for a restore: explicitly, or because D1 is empty while a backup with links exists.
    Pending { automatic: bool },
    /// A restore is writing.
    Running,
}

impl Mode {
    pub fn is_on(self) -> bool {
        self != Mode::Off
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Pending { .. } => "pending",
            Mode::Running => "running",
        }
    }

    /// Why writes are refused, for the problem document and the logs.
    pub fn reason(self) -> &'static str {
        match self {
            Mode::Off => "",
            Mode::Pending { automatic: true } => {
                "the database is empty while a backup with links exists: a restore is pending \
                 (restore it with scripts/restore.sh, or turn restore mode off if the database \
                 is meant to be empty)"
            }
            Mode::Pending { automatic: false } => {
                "restore mode was turned on by an operator: a restore is pending"
            }
            Mode::Running => "a backup is being restored",
        }
    }
}

/// The mode, from the recorded flag, whether D1 holds any user or link, and whether some
/// backup holds links (only asked when D1 is empty: `None` = not looked up).
pub fn mode(flag: Option<Flag>, has_data: bool, backup_has_links: bool, now_ms: u64) -> Mode {
    match flag {
        Some(Flag::Running { since_ms }) if now_ms.saturating_sub(since_ms) < RUNNING_STALE_MS => {
            Mode::Running
        }
        Some(Flag::Running { .. }) | Some(Flag::Pending) => Mode::Pending { automatic: false },
        Some(Flag::Off) => Mode::Off,
        None if !has_data && backup_has_links => Mode::Pending { automatic: true },
        None => Mode::Off,
    }
}

/// Why a backup is not the one to restore by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suspect {
    /// It holds no links.
    Empty,
    /// It holds less than half the links of the last good backup before it.
    Shrunken { links: u64, before: u64 },
}

impl Suspect {
    pub fn describe(self) -> String {
        match self {
            Suspect::Empty => "empty: holds no links".into(),
            Suspect::Shrunken { links, before } => {
                format!("shrunken: {links} links where the backup before held {before}")
            }
        }
    }
}

/// Below this many links, halving is ordinary (a small account cleaning up).
pub const SHRINK_FLOOR: u64 = 20;

/// Judges each backup, given their link counts newest first, against the last good backup
/// before it (older). `None`: fit to restore.
pub fn judge(links_newest_first: &[u64]) -> Vec<Option<Suspect>> {
    let mut out = vec![None; links_newest_first.len()];
    let mut last_good: Option<u64> = None;
    // Oldest first, so each backup is compared with the good one before it.
    for (i, &links) in links_newest_first.iter().enumerate().rev() {
        let verdict = if links == 0 {
            Some(Suspect::Empty)
        } else {
            match last_good {
                Some(before) if before >= SHRINK_FLOOR && links.saturating_mul(2) < before => {
                    Some(Suspect::Shrunken { links, before })
                }
                _ => None,
            }
        };
        if verdict.is_none() {
            last_good = Some(links);
        }
        out[i] = verdict;
    }
    out
}

/// The index (newest first) of the backup restored when none is named: the newest fit one.
pub fn default_choice(judged: &[Option<Suspect>]) -> Option<usize> {
    judged.iter().position(Option::is_none)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_names_are_every_mode_and_flag() {
        let modes = [Mode::Off, Mode::Pending { automatic: true }, Mode::Running];
        for m in modes {
            let v = ModeView::new(None, m);
            assert_eq!(v.set, "auto");
            assert_eq!(v.reason.is_some(), m.is_on());
        }
        let names: Vec<&str> = modes.map(Mode::as_str).to_vec();
        assert_eq!(names, ["off", "pending", "running"]);
        let flags = [Flag::Pending, Flag::Off, Flag::Running { since_ms: 1 }].map(Flag::as_str);
        assert_eq!(flags, ["pending", "off", "running"], "set: these and auto");
    }

    #[test]
    fn an_empty_database_with_a_backup_is_waiting_for_its_restore() {
        assert_eq!(
            mode(None, false, true, 0),
            Mode::Pending { automatic: true }
        );
        // A new installation: nothing to restore, so nothing to wait for.
        assert_eq!(mode(None, false, false, 0), Mode::Off);
        assert_eq!(mode(None, true, true, 0), Mode::Off);
        // An operator said the empty database is meant to be empty.
        assert_eq!(mode(Some(Flag::Off), false, true, 0), Mode::Off);
        assert_eq!(
            mode(Some(Flag::Pending), true, false, 0),
            Mode::Pending { automatic: false }
        );
    }

    #[test]
    fn a_restore_that_died_leaves_restore_mode_on() {
        let running = Some(Flag::Running { since_ms: 1_000 });
        assert_eq!(mode(running, true, true, 2_000), Mode::Running);
        assert_eq!(
            mode(running, true, true, 1_000 + RUNNING_STALE_MS),
            Mode::Pending { automatic: false }
        );
        assert!(Mode::Running.is_on() && !Mode::Off.is_on());
        assert_eq!(
            Flag::parse("running", 5),
            Some(Flag::Running { since_ms: 5 })
        );
        assert_eq!(Flag::parse("bogus", 5), None);
        for f in [Flag::Pending, Flag::Off] {
            assert_eq!(Flag::parse(f.as_str(), 0), Some(f));
        }
    }

    #[test]
    fn empty_and_shrunken_backups_are_never_the_default() {
        // Newest first: the cron backed up an emptied database twice after good ones.
        let judged = judge(&[0, 0, 120, 118]);
        assert_eq!(
            judged,
            vec![Some(Suspect::Empty), Some(Suspect::Empty), None, None]
        );
        assert_eq!(default_choice(&judged), Some(2));
        // A database that lost most of its links; the one after it is compared with the
        // last good one, not with the shrunken one.
        let judged = judge(&[40, 3, 100]);
        assert_eq!(
            judged,
            vec![
                Some(Suspect::Shrunken {
                    links: 40,
                    before: 100
                }),
                Some(Suspect::Shrunken {
                    links: 3,
                    before: 100
                }),
                None
            ]
        );
        assert_eq!(default_choice(&judged), Some(2));
        // Growth, small accounts and halving exactly are fine.
        assert_eq!(judge(&[300, 100, 50]), vec![None, None, None]);
        assert_eq!(judge(&[2, 10]), vec![None, None]);
        assert_eq!(judge(&[10, 20]), vec![None, None]);
        // Nothing fit: no default.
        assert_eq!(default_choice(&judge(&[0])), None);
        assert_eq!(default_choice(&judge(&[])), None);
        assert!(Suspect::Shrunken {
            links: 1,
            before: 30
        }
        .describe()
        .contains("30"));
    }
}
