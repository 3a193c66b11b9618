//! Unit tests of `click_budget`, and a simulation of many visitors, shards and refills
//! interleaved at random: the admitted count is exactly `max`, never more.

use super::*;

#[test]
fn rate_counts_calls_per_whole_second() {
    let mut r = Rate::default();
    for i in 0..30 {
        r.hit(10_000 + i);
    }
    assert_eq!(r.per_second(10_500), 30, "the current second so far");
    r.hit(11_001);
    assert_eq!(
        r.per_second(11_002),
        30,
        "the last whole second while this one is young"
    );
    assert_eq!(
        r.per_second(12_100),
        1,
        "one second later: the last whole second"
    );
    assert_eq!(r.per_second(15_000), 0, "a quiet link has no rate");
    r.hit(20_000);
    assert_eq!(
        r.per_second(20_001),
        1,
        "a gap of seconds forgets the old count"
    );
}

#[test]
fn a_link_spreads_in_powers_of_two_and_never_shrinks() {
    assert_eq!(spread(0, 250, 1), 1);
    assert_eq!(spread(250, 250, 1), 1, "one object takes its own rate");
    assert_eq!(spread(251, 250, 1), 2);
    assert_eq!(
        spread(1_100, 250, 2),
        8,
        "five objects' worth rounds up to eight"
    );
    assert_eq!(
        spread(10, 250, 8),
        8,
        "a calmer link keeps its shards (they hold budget)"
    );
    assert_eq!(spread(20_000, 250, 1), MAX_SHARDS, "capped");
    assert_eq!(
        spread(1, 0, 0),
        1,
        "nonsense settings do not divide by zero"
    );
}

#[test]
fn slices_last_about_a_second_and_leave_the_end_spread_thin() {
    assert_eq!(
        slice(100_000, 8, 300),
        300,
        "a second of the shard's traffic"
    );
    assert_eq!(slice(100_000, 8, 0), MIN_SLICE, "never a refill per click");
    assert_eq!(
        slice(1_000, 8, 300),
        62,
        "at most half the rest shared evenly"
    );
    assert_eq!(slice(3, 8, 300), 1, "the last clicks one by one");
    assert_eq!(slice(0, 8, 300), 0, "nothing left: nothing granted");
}

#[test]
fn the_pool_alone_is_exact_and_seeds_only_raise() {
    let mut p = Pool::default();
    assert!(p.take(2, 1) && p.take(2, 1));
    assert!(!p.take(2, 1), "the third of two");
    assert!(!p.take(2, 0), "asking says none is left");
    assert!(p.take(3, 0), "a raised limit has one more");
    let mut p = Pool::default();
    assert!(p.seed(5));
    assert!(!p.seed(3), "a seed never lowers the count");
    assert_eq!(p.handed, 5);
}

#[test]
fn refills_grant_slices_and_take_back_what_is_returned() {
    let mut p = Pool {
        handed: 0,
        shards: 2,
    };
    let g = p.refill(
        &Refill {
            max: 1_000,
            returned: 0,
            rate: 100,
        },
        250,
    );
    assert_eq!((g.clicks, g.shards), (100, 2));
    let g = p.refill(
        &Refill {
            max: 1_000,
            returned: 0,
            rate: 400,
        },
        250,
    );
    assert_eq!(
        g.shards, 4,
        "a shard at 400/s among two: the link spreads to four"
    );
    assert_eq!(g.clicks, 112, "at most half the rest over four shards");
    let g = p.refill(
        &Refill {
            max: 150,
            returned: 112,
            rate: 10,
        },
        250,
    );
    assert_eq!(
        p.handed,
        100 + g.clicks,
        "the returned slice is no longer handed out"
    );
}

#[test]
fn a_shard_answers_from_its_slice_and_refills_when_dry() {
    let mut s = Shard::default();
    assert_eq!(s.step(10, 1), ShardStep::Refill { returned: 0 });
    assert!(s.granted(2, 10, 1));
    assert_eq!(
        s.step(10, 0),
        ShardStep::Answer(true),
        "asking takes nothing"
    );
    assert_eq!(s.step(10, 1), ShardStep::Answer(true));
    assert_eq!(s.step(10, 1), ShardStep::Refill { returned: 0 });
    assert!(!s.granted(0, 10, 1), "the pool has nothing left");
    assert_eq!(
        s.step(10, 1),
        ShardStep::Answer(false),
        "no second call under that max"
    );
    assert_eq!(
        s.step(12, 1),
        ShardStep::Refill { returned: 0 },
        "a raised limit asks again"
    );
}

#[test]
fn a_lowered_limit_gives_the_slice_back_first() {
    let mut s = Shard::default();
    assert!(s.granted(50, 100, 1));
    assert_eq!(s.step(60, 1), ShardStep::Refill { returned: 49 });
    assert_eq!(
        s.budget, 0,
        "taken out before the call: no concurrent request spends it"
    );
}

#[test]
fn the_scan_visits_every_shard_once_from_the_start() {
    assert_eq!(scan(2, 4).collect::<Vec<_>>(), [2, 3, 0, 1]);
    assert_eq!(scan(9, 4).collect::<Vec<_>>(), [1, 2, 3, 0]);
    assert_eq!(scan(0, 0).collect::<Vec<_>>(), [0]);
}

/// A small deterministic generator (xorshift), so a failing seed can be replayed.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// A visitor working through the shards it was told of.
struct Visitor {
    order: Vec<u32>,
    next: usize,
}

/// A refill on its way: the shard, the visitor that caused it, what the shard asked.
struct InFlight {
    shard: u32,
    visitor: Visitor,
    refill: Refill,
    cost: u64,
}

#[derive(Default)]
struct World {
    pool: Pool,
    shards: Vec<Shard>,
    flying: Vec<InFlight>,
    admitted: u64,
    /// Admitted by the pool itself.
    direct: u64,
    refused: u64,
}

impl World {
    /// Moves a visitor on: asks its next shard, or is refused when none is left.
    fn visit(&mut self, mut v: Visitor, max: u64, cost: u64) {
        loop {
            let Some(&i) = v.order.get(v.next) else {
                self.refused += 1;
                return;
            };
            v.next += 1;
            match self.shards[i as usize].step(max, cost) {
                ShardStep::Answer(true) => {
                    self.admitted += cost;
                    return;
                }
                ShardStep::Answer(false) => continue,
                ShardStep::Refill { returned } => {
                    self.flying.push(InFlight {
                        shard: i,
                        visitor: v,
                        refill: Refill {
                            max,
                            returned,
                            rate: 300,
                        },
                        cost,
                    });
                    return;
                }
            }
        }
    }

    /// A refill lands: the pool grants; unless the answer is `lost`, the shard gets it.
    fn land(&mut self, k: usize, max: u64, lost: bool) {
        let f = self.flying.swap_remove(k);
        let g = self.pool.refill(&f.refill, 250);
        while self.shards.len() < g.shards as usize {
            self.shards.push(Shard::default());
        }
        if lost {
            self.refused += 1; // the visitor got an error: no redirect
            return;
        }
        if self.shards[f.shard as usize].granted(g.clicks, max, f.cost) {
            self.admitted += f.cost;
        } else {
            self.visit(f.visitor, max, f.cost);
        }
    }

    fn arrive(&mut self, rng: &mut Rng, max: u64) {
        // Some isolates have not learned of the shards and ask the pool.
        if self.shards.is_empty() || rng.below(10) == 0 {
            self.pool.observe(400, 250);
            let taken = self.pool.take(max, 1);
            // The answer tells the isolate how many shards there are.
            while self.shards.len() < self.pool.shards as usize {
                self.shards.push(Shard::default());
            }
            if taken {
                self.admitted += 1;
                self.direct += 1;
                return;
            }
            if self.pool.shards <= 1 {
                self.refused += 1;
                return;
            }
        }
        let n = self.shards.len() as u32;
        let v = Visitor {
            order: scan(rng.below(u64::from(n)) as u32, n).collect(),
            next: 0,
        };
        self.visit(v, max, 1);
    }
}

fn simulate(seed: u64, max: u64, visitors: u64, lose_one_in: u64) -> World {
    let mut rng = Rng(seed);
    let mut w = World::default();
    let mut arrived = 0;
    while arrived < visitors || !w.flying.is_empty() {
        if arrived < visitors && (w.flying.is_empty() || rng.below(3) > 0) {
            arrived += 1;
            w.arrive(&mut rng, max);
        } else {
            let k = rng.below(w.flying.len() as u64) as usize;
            let lost = lose_one_in > 0 && rng.below(lose_one_in) == 0;
            w.land(k, max, lost);
        }
    }
    w
}

#[test]
fn many_visitors_over_shards_get_exactly_max_redirects() {
    for seed in 1..=200 {
        let max = 1 + seed * 37 % 2_000;
        let w = simulate(seed, max, max * 2 + 500, 0);
        assert!(w.shards.len() > 1, "seed {seed}: the link spread");
        let in_shards = w.admitted - w.direct;
        assert!(
            in_shards > max / 2,
            "seed {seed}: most clicks went through shards ({in_shards} of {max})"
        );
        assert_eq!(w.admitted, max, "seed {seed}: exactly max");
        assert_eq!(
            w.admitted + w.refused,
            max * 2 + 500,
            "seed {seed}: every visitor answered"
        );
    }
}

#[test]
fn lost_answers_never_admit_more_than_max() {
    for seed in 1..=200 {
        let max = 1 + seed * 53 % 1_500;
        let w = simulate(seed, max, max * 2 + 500, 7);
        assert!(w.admitted <= max, "seed {seed}: {} > {max}", w.admitted);
    }
}

#[test]
fn a_lowered_limit_mid_flight_stays_exact() {
    for seed in 1..=100 {
        let mut rng = Rng(seed);
        let mut w = World::default();
        for _ in 0..300 {
            w.arrive(&mut rng, 1_000);
            if !w.flying.is_empty() && rng.below(2) == 0 {
                let k = rng.below(w.flying.len() as u64) as usize;
                w.land(k, 1_000, false);
            }
        }
        while !w.flying.is_empty() {
            w.land(0, 1_000, false);
        }
        let before = w.admitted;
        let lowered = before + 40;
        // Requests now carry the lower limit: shards give back their slices first.
        for _ in 0..2_000 {
            w.arrive(&mut rng, lowered);
            while !w.flying.is_empty() {
                let k = rng.below(w.flying.len() as u64) as usize;
                w.land(k, lowered, false);
            }
        }
        assert_eq!(
            w.admitted, lowered,
            "seed {seed}: exactly the lowered limit"
        );
    }
}
