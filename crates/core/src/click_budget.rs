//! Exact `max_clicks` at any rate: the budget of a limited link, spread over shards when one
//! object cannot take its traffic.
//!
//! A link's *pool* (one Durable Object) knows how many clicks it has handed out: taken by
//! visitors directly, or granted to *shards* in slices. While the link is calm, visitors take
//! straight from the pool (one call, as before sharding existed). When the pool sees more
//! calls per second than one object should take (`per_object`), it spreads the link over
//! more shards (powers of two, never fewer again: shards hold budget). Visitors then ask a
//! random shard; a shard answers from its slice and refills from the pool when dry; a
//! refused visitor tries every shard before the answer is "no", so a slice stranded in a
//! quiet shard is still used. Budget only moves pool → shard → visitor, and each step is one
//! synchronous turn of one object, so more than `max` visitors can never be admitted.
//!
//! A shard that gets a request under a *lower* `max` than it was granted under (the link was
//! edited) gives its whole slice back before it refills, so lowering a limit stays exact.

/// Most shards one link spreads over: 64 objects at a few hundred calls per second each.
pub const MAX_SHARDS: u32 = 64;
/// Calls per second one object takes before its link spreads (published: an object serves
/// roughly 200–1,000 requests per second before it queues; a click call is a small one).
pub const DEFAULT_PER_OBJECT: u64 = 250;
/// The smallest slice worth a refill call.
const MIN_SLICE: u64 = 10;

/// Calls per second seen by one object, counted over whole seconds of its clock.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rate {
    second: u64,
    calls: u64,
    previous: u64,
}

impl Rate {
    /// Counts a call made at `now_ms`.
    pub fn hit(&mut self, now_ms: u64) {
        let second = now_ms / 1000;
        if second != self.second {
            self.previous = if second == self.second + 1 {
                self.calls
            } else {
                0
            };
            self.second = second;
            self.calls = 0;
        }
        self.calls += 1;
    }

    /// Calls per second: the larger of the last whole second and the current one so far.
    pub fn per_second(&self, now_ms: u64) -> u64 {
        let second = now_ms / 1000;
        if second == self.second {
            self.previous.max(self.calls)
        } else if second == self.second + 1 {
            self.calls
        } else {
            0
        }
    }
}

/// How many shards a link needs for `rate` calls per second in total, never fewer than it
/// has (`now`): a power of two, at most `MAX_SHARDS`; 1 means not spread.
pub fn spread(rate: u64, per_object: u64, now: u32) -> u32 {
    let now = now.clamp(1, MAX_SHARDS);
    let need = rate.div_ceil(per_object.max(1)).min(u64::from(MAX_SHARDS)) as u32;
    if need <= now {
        now
    } else {
        need.next_power_of_two().min(MAX_SHARDS)
    }
}

/// A refill's slice: about a second of the shard's traffic, at most an even share of half of
/// what is left (the last clicks are not all parked in one shard), at least one.
pub fn slice(remaining: u64, shards: u32, shard_rate: u64) -> u64 {
    let fair = remaining / (2 * u64::from(shards.max(1)));
    shard_rate.max(MIN_SLICE).min(fair).max(1).min(remaining)
}

/// A link's pool, as its object stores it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pool {
    /// Clicks handed out: taken by visitors directly or granted to shards.
    pub handed: u64,
    /// Shards the link is spread over (1: not spread).
    pub shards: u32,
}

/// A shard's request to its pool.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Refill {
    pub max: u64,
    /// Budget the shard gives back (it was granted under a higher `max`).
    pub returned: u64,
    /// The shard's own calls per second.
    pub rate: u64,
}

/// The pool's answer to a refill.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grant {
    pub clicks: u64,
    pub shards: u32,
}

impl Pool {
    /// Clicks counted before the counter existed (imported links): raised to, never lowered.
    pub fn seed(&mut self, seed: u64) -> bool {
        let raise = seed > self.handed;
        self.handed = self.handed.max(seed);
        raise
    }

    /// Spreads the link when the pool itself sees `rate` calls per second.
    pub fn observe(&mut self, rate: u64, per_object: u64) {
        self.shards = spread(rate, per_object, self.shards);
    }

    /// A visitor's click straight from the pool; `cost` 0 only asks whether one is left.
    pub fn take(&mut self, max: u64, cost: u64) -> bool {
        if cost == 0 {
            return self.handed < max;
        }
        let allowed = self.handed.saturating_add(cost) <= max;
        if allowed {
            self.handed += cost;
        }
        allowed
    }

    /// A shard's refill: takes back what it returns, spreads the link further when the
    /// shard's rate says the shards are too few, and grants a slice (0: nothing is left).
    pub fn refill(&mut self, r: &Refill, per_object: u64) -> Grant {
        self.handed = self.handed.saturating_sub(r.returned);
        let shards = self.shards.max(1);
        self.shards = spread(r.rate.saturating_mul(u64::from(shards)), per_object, shards);
        let remaining = r.max.saturating_sub(self.handed);
        let clicks = slice(remaining, self.shards, r.rate);
        self.handed += clicks;
        Grant {
            clicks,
            shards: self.shards,
        }
    }
}

/// A shard of a link, as its object stores it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shard {
    /// Clicks granted and not yet taken.
    pub budget: u64,
    /// The `max` of the last grant.
    pub max: u64,
    /// The `max` under which the pool had nothing left: no refill is asked under it again.
    pub exhausted_at: Option<u64>,
}

/// What a shard does with a visitor's request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ShardStep {
    /// Answered from the shard's own state.
    Answer(bool),
    /// Asks the pool first, giving back `returned` clicks.
    Refill { returned: u64 },
}

impl Shard {
    /// Answers from the slice when it can; otherwise says what to ask the pool. A lower `max`
    /// than the slice was granted under gives the slice back (taken out here, before the
    /// call, so a concurrent request cannot spend it).
    pub fn step(&mut self, max: u64, cost: u64) -> ShardStep {
        if max < self.max && self.budget > 0 {
            return ShardStep::Refill {
                returned: std::mem::take(&mut self.budget),
            };
        }
        if self.budget >= cost.max(1) {
            self.budget -= cost;
            return ShardStep::Answer(true);
        }
        if self.exhausted_at == Some(max) {
            return ShardStep::Answer(false);
        }
        ShardStep::Refill { returned: 0 }
    }

    /// Adds the pool's grant, then answers the request that asked for it.
    pub fn granted(&mut self, clicks: u64, max: u64, cost: u64) -> bool {
        self.budget += clicks;
        self.max = max;
        self.exhausted_at = (clicks == 0).then_some(max);
        if self.budget >= cost.max(1) {
            self.budget -= cost;
            true
        } else {
            false
        }
    }
}

/// The order in which a visitor asks a link's shards: from `start`, each one once.
pub fn scan(start: u32, shards: u32) -> impl Iterator<Item = u32> {
    let shards = shards.max(1);
    (0..shards).map(move |i| (start % shards + i) % shards)
}

#[cfg(test)]
mod tests;
