package experiments

import (
	"strings"
	"testing"
)

func TestRecipeLimitsAndIntegers(t *testing.T) {
	cases := []struct {
		old, new string // replacement in tinyRecipe
		want     string // expected substring of the error
	}{
		{"hidden: [16]", "hidden: [65536, 65536]", "tiny.yaml:6: model.hidden gives 4299948042 " +
			"parameters on digits, more than the limit of 50000000"},
		{"hidden: [16]", "hidden: [65537]", "model.hidden.0 (65537) is outside [1, 65536]"},
		{"steps: 20", "steps: 5.9", "tiny.yaml:16: steps (5.9) must be a whole number"},
		{"batch_size: 32", "batch_size: 64.7", "batch_size (64.7) must be a whole number"},
		{"seeds: [1]", "seeds: [1.5]", "seeds.0 (1.5) must be a whole number"},
		{"every: 5", "every: 0", "pruning.every (0) must be at least 1"},
		{"split_seed: 1", "split_seed: 1\n  test_fraction: 0", "data.test_fraction (0) is outside (0, 1)"},
		{"baseline: true", "baseline: true\npenalties:" +
			strings.Repeat("\n  - {term: l2, schedule: \"constant(1)\"}", MaxPenalties+1),
			"penalties has 65 entries, more than the limit of 64"},
	}
	for i, c := range cases {
		src := strings.Replace(tinyRecipe, c.old, c.new, 1)
		_, err := ParseRecipe("tiny.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: error %v, want one containing %q", i, err, c.want)
		}
	}

	big := tinyRecipe + "# " + strings.Repeat("x", MaxRecipeBytes) + "\n"
	if _, err := ParseRecipe("big.yaml", []byte(big)); err == nil ||
		!strings.Contains(err.Error(), "larger than the limit of 1048576 bytes") {
		t.Errorf("large recipe: error %v", err)
	}
	if _, err := ParseRecipe("e.yaml", []byte(strings.Replace(tinyRecipe, "steps: 20", "steps: 2e1", 1))); err != nil {
		t.Errorf("steps: 2e1 (a whole number): %v", err)
	}
}

func TestExplicitZerosKept(t *testing.T) {
	cases := []struct {
		solver string
		check  func(s SolverSpec) bool
	}{
		{"{name: momentum, lr: 0.1, momentum: 0}", func(s SolverSpec) bool { return s.Momentum == 0 }},
		{"{name: momentum, lr: 0.1}", func(s SolverSpec) bool { return s.Momentum == 0.9 }},
		{"{name: adam, lr: 0.1, beta1: 0}", func(s SolverSpec) bool { return s.Beta1 == 0 && s.Beta2 == 0.999 }},
		{"{name: adam, lr: 0.1, epsilon: 0}", func(s SolverSpec) bool { return s.Epsilon == 0 }},
		{"{name: adamw, lr: 0.1, weight_decay: 0}", func(s SolverSpec) bool { return s.WeightDecay == 0 }},
		{"{name: rmsprop, lr: 0.1}", func(s SolverSpec) bool { return s.Epsilon == 1e-8 }},
	}
	for i, c := range cases {
		src := strings.Replace(tinyRecipe, "solver:\n  name: adam\n  lr: 0.01", "solver: "+c.solver, 1)
		r, err := ParseRecipe("tiny.yaml", []byte(src))
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !c.check(r.Solver) {
			t.Errorf("case %d (%s): solver %+v", i, c.solver, r.Solver)
		}
		// The recipe as written back parses to the same recipe.
		var b strings.Builder
		if err := r.Encode(&b); err != nil {
			t.Fatal(err)
		}
		back, err := ParseRecipe("back.yaml", []byte(b.String()))
		if err != nil {
			t.Fatalf("case %d: reading back: %v", i, err)
		}
		if back.Hash() != r.Hash() || !c.check(back.Solver) {
			t.Errorf("case %d (%s): read back as %+v", i, c.solver, back.Solver)
		}
	}
}

func TestExpandRejects(t *testing.T) {
	many := Axis{Key: "solver.lr", Values: make([]string, 101)}
	for i := range many.Values {
		many.Values[i] = strings.Repeat("1", i+1)
	}
	other := many
	other.Key = "steps"
	cases := []struct {
		axes []Axis
		want string
	}{
		{[]Axis{{"solver.lr", []string{"0.1", "0.1"}}}, `grid key "solver.lr" has the value "0.1" twice`},
		{[]Axis{{"name", []string{"a", "b"}}}, "name is not a grid key"},
		{[]Axis{many, other}, "more than 10000 points"},
	}
	for i, c := range cases {
		if _, err := Expand(c.axes); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: error %v, want one containing %q", i, err, c.want)
		}
	}
}

func TestValidateRunTimeErrors(t *testing.T) {
	noPruning := strings.Replace(tinyRecipe, "pruning:\n  sparsity: 0.5\n  start: 0\n  end: 10\n  every: 5\n", "", 1)
	noPruning = strings.Replace(noPruning, "baseline: true", "baseline: false", 1)
	cases := []struct {
		src  string
		want string // expected substring of the error
	}{
		{noPruning + "penalties:\n  - {term: l1, schedule: \"constant(1)\"}\n" +
			"  - {term: l1, params: w1, schedule: \"constant(2)\"}\n",
			"tiny.yaml:17: penalties.1 puts the term l1 on w1 a second time, after penalties.0"},
		{strings.Replace(tinyRecipe, "every: 5", "every: 5\n  structure: blocks:5x5", 1),
			"pruning.structure (blocks:5x5) does not tile w0, whose shape is 64×16"},
		{strings.Replace(tinyRecipe, "every: 5", "every: 5\n  structure: \"3:7\"", 1),
			"pruning.structure (3:7) needs the inputs of w0 (64) to be a multiple of 7"},
		{strings.Replace(strings.Replace(tinyRecipe, "every: 5", "every: 5\n  structure: \"1:2\"", 1),
			"sparsity: 0.5", "sparsity: 0.9", 1),
			"pruning.sparsity (0.9) differs from 0.5, the sparsity of 1:2 pruning"},
		{strings.Replace(tinyRecipe, "split_seed: 1", "split_seed: 1\n  test_fraction: 0.0001", 1),
			"tiny.yaml:5: data.test_fraction (0.0001) of the 1797 rows of digits leaves the training or the test split empty"},
		{strings.Replace(tinyRecipe, "batch_size: 32", "batch_size: 1500", 1),
			"batch_size (1500) is larger than the 1348 training examples of digits"},
	}
	for i, c := range cases {
		_, err := ParseRecipe("tiny.yaml", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: error %v, want one containing %q", i, err, c.want)
		}
	}
	// The structures that fit, and 2:4 at its sparsity 0.5, stay valid.
	for i, st := range []string{"blocks:4x2", "\"2:4\""} {
		src := strings.Replace(tinyRecipe, "every: 5", "every: 5\n  structure: "+st, 1)
		if _, err := ParseRecipe("tiny.yaml", []byte(src)); err != nil {
			t.Errorf("valid structure %d (%s): %v", i, st, err)
		}
	}
}

func TestScheduleCheckedAtEveryStep(t *testing.T) {
	noPruning := strings.Replace(tinyRecipe, "pruning:\n  sparsity: 0.5\n  start: 0\n  end: 10\n  every: 5\n", "", 1)
	noPruning = strings.Replace(noPruning, "baseline: true", "baseline: false", 1)
	noPruning = strings.Replace(noPruning, "steps: 20", "steps: 5000000", 1)
	cases := []struct {
		schedule, want string
	}{
		// One negative step in a run of five million, between any sample
		// taken at a fixed stride.
		{"steps(0.1, 3000001:-1, 3000002:0.1)", "gives λ = -1 at step 3000001"},
		// A cyclic schedule has no span; its run of 5 million steps is
		// sampled, but the negative low value shows at step 0.
		{"cyclic(-1, 1, 7)", "gives λ = -1 at step 0"},
	}
	for i, c := range cases {
		src := noPruning + "penalties:\n  - {term: l2, schedule: \"" + c.schedule + "\"}\n"
		_, err := ParseRecipe("tiny.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: error %v, want one containing %q", i, err, c.want)
		}
	}
}
