// SPDX-License-Identifier: GPL-2.0
/*
 * wheel_sim - module/wheel.c, compiled in userspace against coap_ka.h of
 * this directory, driven jiffy by jiffy with random schedules, checked
 * against what each session asked for. KTAP output.
 *
 *   wheel_sim [SEED [JIFFIES]]
 *
 * Each simulated jiffy, some sessions are (re)scheduled before and after
 * the driver runs (as from other CPUs), some rounds reschedule their own
 * session (as the UDP and TCP rounds do), some sessions end for good. The
 * driver runs when its timer is due, as the kernel would run it.
 *
 *   exact     no time budget: every round runs at the jiffy it was due
 *             (a deadline already past: at the driver's next run, at most
 *             a jiffy later), never twice, never after its session ended
 *   budget    each round costs 400 us against the driver's quarter-jiffy
 *             budget: rounds come late but never early and never get
 *             lost, and no run does more than its budget allows
 *   far       one session due 2^24 jiffies ahead wakes the driver only for
 *             the cascades that bring it down and as its timer, set an
 *             eighth early, comes closer (2^24 to 2^21 ... to 8: 8 wakes),
 *             not every 256 jiffies
 *   stale     after the wheel was empty for 2^27 jiffies (beyond its
 *             span), a new deadline is still exact
 */
#include "coap_ka.h"

unsigned long jiffies;
u64 sim_clock_ns;
u64 sim_round_ns;

#include "wheel.c"

#define N	2000

static struct coap_ka_net cn;
static struct coap_ka_sock ks = { .cn = &cn };
static struct coap_ka_session ss[N];
static unsigned long lo[N], hi[N];	/* the window its round must run in */
static bool on[N], ended[N];
static bool exact, resched_in_round;
static unsigned long rounds, runs, run_rounds, max_run_rounds, late_max;
static const char *failure;
static char why[256];

#define FAIL(...) do { snprintf(why, sizeof(why), __VA_ARGS__); failure = why; } while (0)

void coap_ka_session_put(struct coap_ka_session *s)
{
	s->refcnt.refs--;
}

static void sched(int i, unsigned long expires)
{
	coap_ka_sched(&ss[i], expires);
	if (ended[i])
		return;
	lo[i] = time_after(expires, jiffies) ? expires : jiffies;
	hi[i] = time_after(expires, jiffies) ? expires : jiffies + 1;
	on[i] = true;
}

void coap_ka_session_expire(struct coap_ka_session *s)
{
	int i = s->id;

	rounds++;
	run_rounds++;
	sim_clock_ns += sim_round_ns;
	if (failure)
		return;
	if (ended[i])
		FAIL("session %d: round after it ended", i);
	else if (!on[i])
		FAIL("session %d: round at %lu, not due", i, jiffies);
	else if (time_before(jiffies, lo[i]))
		FAIL("session %d: round at %lu, early (due %lu)", i, jiffies, lo[i]);
	else if (exact && time_after(jiffies, hi[i]))
		FAIL("session %d: round at %lu, late (due %lu)", i, jiffies, hi[i]);
	if (jiffies - hi[i] > late_max && time_after(jiffies, hi[i]))
		late_max = jiffies - hi[i];
	on[i] = false;
	if (resched_in_round && rand() % 3 == 0) {
		unsigned long d = rand() % 4 ? rand() % 300 : rand() % 40000;

		sched(i, jiffies + (rand() % 4 ? d : 0));
	}
}

static unsigned long random_delta(void)
{
	switch (rand() % 10) {
	case 0: case 1: case 2: return rand() % 256;
	case 3: case 4: case 5: return rand() % 20000;
	case 6: case 7: return rand() % 2000000;
	case 8: return 0;
	default: return ((unsigned long)rand() * 64) % (1UL << 26);
	}
}

static void random_ops(unsigned long step, bool quiet)
{
	int ops = quiet ? rand() % 5000 == 0 : rand() % 3;

	while (ops--) {
		int i = rand() % N;

		if (rand() % 20000 == 0 && !ended[i]) {
			coap_ka_unsched_final(&ss[i]);
			ended[i] = true;
			on[i] = false;
			continue;
		}
		sched(i, jiffies + random_delta());
	}
}

static void drive(void)
{
	if (cn.wheel.timer.pending && time_after_eq(jiffies, cn.wheel.timer.expires)) {
		cn.wheel.timer.pending = false;
		runs++;
		run_rounds = 0;
		cn.wheel.timer.function(&cn.wheel.timer);
		if (run_rounds > max_run_rounds)
			max_run_rounds = run_rounds;
	}
}

static void setup(unsigned long start)
{
	int i;

	memset(&cn, 0, sizeof(cn));
	jiffies = start;
	coap_ka_wheel_init(&cn.wheel);
	for (i = 0; i < N; i++) {
		memset(&ss[i], 0, sizeof(ss[i]));
		ss[i].ks = &ks;
		ss[i].id = i;
		ss[i].refcnt.refs = 1;
		coap_ka_wheel_entry_init(&ss[i]);
		on[i] = ended[i] = false;
	}
	rounds = runs = max_run_rounds = late_max = 0;
	failure = NULL;
}

/* Random traffic for @steps jiffies; then everything due must have run. */
static void random_run(unsigned long steps)
{
	unsigned long st;
	int i;

	for (st = 0; st < steps && !failure; st++) {
		bool quiet = (st / 500000) % 2;

		jiffies++;
		random_ops(st, quiet);
		drive();
		random_ops(st, quiet);
		if (st % 1000)
			continue;
		for (i = 0; i < N && !failure; i++)
			if (on[i] && time_after(jiffies, hi[i] + (exact ? 0 : 50000)))
				FAIL("session %d: due %lu, not run by %lu (wheel clk %lu, %u on it)",
				     i, hi[i], jiffies, cn.wheel.clk, cn.wheel.count);
	}
	for (i = 0; i < N; i++)
		if (ss[i].refcnt.refs != 1 && !failure)
			FAIL("session %d: %d references after the rounds", i, ss[i].refcnt.refs);
}

static int test_no;

static void report(const char *name)
{
	test_no++;
	if (failure)
		printf("not ok %d %s\n# %s\n", test_no, name, failure);
	else
		printf("ok %d %s\n", test_no, name);
}

int main(int argc, char **argv)
{
	unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
	unsigned long steps = argc > 2 ? strtoul(argv[2], NULL, 0) : 3000000;
	int fails = 0, i;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("TAP version 13\n1..4\n# seed %lu, %lu jiffies per random run\n", seed, steps);

	/* Starts 300 s (at HZ 250) before jiffies wrap, as the kernel's do. */
	srand(seed);
	exact = true;
	resched_in_round = true;
	sim_round_ns = 0;
	setup(-75000UL + rand() % 1000);
	random_run(steps);
	printf("# exact: %lu rounds in %lu driver runs\n", rounds, runs);
	report("exact: every round at its jiffy, none twice, none after its session ended");
	fails += !!failure;

	/* ... and before only their low 32 bits wrap (the wheel keeps those). */
	srand(seed + 1);
	exact = false;
	sim_round_ns = 400000;
	setup((1UL << 32) - 75000 + rand() % 1000);
	random_run(steps);
	if (!failure && max_run_rounds > COAP_KA_WHEEL_BUDGET_NS / sim_round_ns + 1)
		FAIL("a run did %lu rounds of 400 us, budget %lu ns", max_run_rounds,
		     (unsigned long)COAP_KA_WHEEL_BUDGET_NS);
	if (!failure && !cn.wheel.overruns)
		FAIL("the budget never stopped a run");
	printf("# budget: %lu rounds in %lu runs, at most %lu a run, %lu runs stopped, latest %lu jiffies late\n",
	       rounds, runs, max_run_rounds, cn.wheel.overruns, late_max);
	report("budget: rounds late but never early or lost; a run stays within its budget");
	fails += !!failure;

	exact = true;
	resched_in_round = false;
	sim_round_ns = 0;
	setup(12345);
	sched(0, jiffies + (1UL << 24));
	for (i = 0; i < (1 << 24) + 10 && !failure; i++) {
		jiffies++;
		drive();
	}
	if (!failure && (on[0] || rounds != 1))
		FAIL("the round did not run (%lu rounds)", rounds);
	if (!failure && runs > 2 * COAP_KA_WHEEL_LEVELS + 8)
		FAIL("%lu driver runs for one deadline", runs);
	printf("# far: 1 round, %lu driver runs over 2^24 jiffies\n", runs);
	report("far: a deadline 2^24 jiffies ahead wakes the driver only to cascade and close in");
	fails += !!failure;

	setup(777);
	sched(1, jiffies + 10);
	for (i = 0; i < 20; i++) {
		jiffies++;
		drive();
	}
	jiffies += 1UL << 27;
	sched(2, jiffies + 300);
	for (i = 0; i < 400 && !failure; i++) {
		jiffies++;
		drive();
	}
	if (!failure && (on[1] || on[2] || rounds != 2))
		FAIL("%lu rounds, sessions due: %d %d", rounds, on[1], on[2]);
	report("stale: a wheel idle beyond its span schedules exactly");
	fails += !!failure;

	printf("%d passed, %d failed\n", 4 - fails, fails);
	return fails ? 1 : 0;
}
