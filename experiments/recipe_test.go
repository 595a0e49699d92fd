package experiments

import (
	"bytes"
	"strings"
	"testing"
)

// tinyRecipe trains a small model for a few steps; tests use it to run
// the whole pipeline in well under a second.
const tinyRecipe = `name: tiny
data:
  set: digits
  split_seed: 1
model:
  hidden: [16]
solver:
  name: adam
  lr: 0.01
baseline: true
pruning:
  sparsity: 0.5
  start: 0
  end: 10
  every: 5
steps: 20
batch_size: 32
eval_every: 10
seeds: [1]
`

func TestDefaultRecipe(t *testing.T) {
	r, err := DefaultRecipe()
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "digits-gmp" || r.Data.Set != "digits" || r.Pruning == nil || !r.Baseline {
		t.Fatalf("default recipe %+v is not the digits pruning job", r)
	}
	if got, want := r.Pruning.PruningSchedule(), "every(50, poly(0, 0.9, 200, 1400, 3))"; got != want {
		t.Errorf("pruning schedule %q, want %q", got, want)
	}
	// Defaults filled in by setDefaults.
	if r.Solver.Beta1 != 0.9 || r.Solver.Beta2 != 0.999 || r.Solver.Epsilon != 1e-8 {
		t.Errorf("Adam defaults %v %v %v, want 0.9 0.999 1e-8",
			r.Solver.Beta1, r.Solver.Beta2, r.Solver.Epsilon)
	}
}

func TestRecipeEncodeRoundTrip(t *testing.T) {
	r, err := ParseRecipe("tiny.yaml", []byte(tinyRecipe))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.Encode(&b); err != nil {
		t.Fatal(err)
	}
	again, err := ParseRecipe("encoded.yaml", b.Bytes())
	if err != nil {
		t.Fatalf("parsing the encoded recipe: %v\n%s", err, b.String())
	}
	if r.Hash() != again.Hash() {
		t.Errorf("hash changed from %s to %s after Encode and ParseRecipe", r.Hash(), again.Hash())
	}
	// A comment and reordered keys do not change the hash.
	moved := "# comment\nseeds: [1]\n" + strings.Replace(tinyRecipe, "seeds: [1]\n", "", 1)
	other, err := ParseRecipe("moved.yaml", []byte(moved))
	if err != nil {
		t.Fatal(err)
	}
	if other.Hash() != r.Hash() {
		t.Errorf("hash %s of the reordered recipe differs from %s", other.Hash(), r.Hash())
	}
	other.Steps++
	if other.Hash() == r.Hash() {
		t.Error("changing steps left the hash unchanged")
	}
}

func TestRecipeErrors(t *testing.T) {
	cases := []struct {
		old, new string // replacement in tinyRecipe
		want     string // expected substring of the error
	}{
		{"  lr: 0.01", "  lr: 0.01\n  lr_shedule: x", `tiny.yaml:10: unknown key "lr_shedule" in solver`},
		{"steps: 20", "stpes: 20", `tiny.yaml:16: unknown key "stpes" in the recipe`},
		{"steps: 20", "steps: many", `tiny.yaml:16: steps: invalid value "many" (want an integer)`},
		{"  lr: 0.01", "  lr: fast", `tiny.yaml:9: solver.lr: invalid value "fast" (want a number)`},
		{"seeds: [1]", "seeds: [-1]", `tiny.yaml:19: seeds: invalid value "-1" (want a non-negative integer)`},
		{"  lr: 0.01", "  lr: -0.01", "tiny.yaml:9: solver.lr (-0.01) must be positive and finite"},
		{"  sparsity: 0.5", "  sparsity: 1.5", "tiny.yaml:12: pruning.sparsity (1.5) is outside [0, 1)"},
		{"  end: 10", "  end: -3", "tiny.yaml:14: pruning.end (-3) is before pruning.start (0)"},
		{"  set: digits", "  set: mnist", `tiny.yaml:3: data.set ("mnist") is unknown`},
		{"  hidden: [16]", "  hidden: [16, 0]", "tiny.yaml:6: model.hidden.1 (0) is outside [1, 65536]"},
		{"  name: adam", "  name: lbfgs", `tiny.yaml:8: solver.name ("lbfgs") is unknown`},
		{"steps: 20", "steps: 0", "tiny.yaml:16: steps (0) is outside [1, 100000000]"},
		{"seeds: [1]", "seeds: [1, 1]", "tiny.yaml:19: seeds.1 (1) is given twice"},
		{"seeds: [1]", "seeds: []", "tiny.yaml:19: seeds has 0 seeds"},
		{"name: tiny", "name: ../up", `tiny.yaml:1: name ("../up") must start with a letter or digit`},
		{"  every: 5", "  every: 5\n  schedule: linear(0, 0.5, 0, 10)",
			"tiny.yaml:13: pruning.start applies only without pruning.schedule"},
		{"  sparsity: 0.5\n  start: 0\n  end: 10\n  every: 5",
			"  schedule: linear(0, 1.2, 0, 10)",
			"pruning.schedule (\"linear(0, 1.2, 0, 10)\")"},
		{"  sparsity: 0.5\n  start: 0\n  end: 10\n  every: 5",
			"  sparsity: 0.4\n  schedule: linear(0, 0.5, 0, 10)",
			"tiny.yaml:12: pruning.sparsity (0.4) differs from the value pruning.schedule reaches"},
		{"  sparsity: 0.5\n  start: 0\n  end: 10\n  every: 5",
			"  schedule: poly(0, 0.5, 10, 5)", "schedules: poly: end (5) is before start (10)"},
		{"baseline: true", "baseline: true\npenalties:\n  - term: l3\n    schedule: constant(1)",
			`tiny.yaml:12: penalties.0.term ("l3") is unknown`},
		{"baseline: true", "baseline: true\npenalties:\n  - term: l1\n    schedule: linear(0, -1, 0, 5)",
			"penalties.0.schedule gives λ = -0.2 at step 1"},
		{"baseline: true", "baseline: maybe", `tiny.yaml:10: baseline: invalid value "maybe" (want true or false)`},
		{"name: tiny", "name: tiny\n---\nname: two", "more than one YAML document"},
		{"  split_seed: 1", "  split_seed: 1\n   bad indent: x", "tiny.yaml:5:"},
	}
	for i, c := range cases {
		src := strings.Replace(tinyRecipe, c.old, c.new, 1)
		if src == tinyRecipe {
			t.Fatalf("case %d: %q is not in the recipe", i, c.old)
		}
		_, err := ParseRecipe("tiny.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: error %v, want one containing %q", i, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("case %d: error spans several lines: %q", i, err)
		}
	}
}

func TestRecipeEmpty(t *testing.T) {
	for i, src := range []string{"", "# only a comment\n", "[1, 2]", "just text"} {
		if _, err := ParseRecipe("empty.yaml", []byte(src)); err == nil {
			t.Errorf("case %d: ParseRecipe(%q) returned no error", i, src)
		}
	}
}

func FuzzRecipe(f *testing.F) {
	f.Add([]byte(tinyRecipe))
	f.Add(DefaultRecipeYAML)
	f.Add([]byte("name: x\nsteps: 1e99\n"))
	f.Add([]byte("pruning:\n  schedule: every(0, poly(0, 0.9, 1, 0))\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRecipe("fuzz.yaml", data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans several lines: %q", err)
			}
			return
		}
		// A recipe that parses encodes to one that parses to the same hash.
		var b bytes.Buffer
		if err := r.Encode(&b); err != nil {
			t.Fatal(err)
		}
		again, err := ParseRecipe("encoded.yaml", b.Bytes())
		if err != nil {
			t.Fatalf("encoded recipe does not parse: %v\n%s", err, b.String())
		}
		if again.Hash() != r.Hash() {
			t.Fatalf("hash changed on round trip: %s, %s", r.Hash(), again.Hash())
		}
	})
}

func TestValidName(t *testing.T) {
	cases := []struct {
		name string
		want bool
	}{
		{"digits-gmp", true}, {"a", true}, {"run_2.v1", true}, {"9lives", true},
		{"", false}, {"../x", false}, {".hidden", false}, {"-x", false}, {"a/b", false},
		{"a b", false}, {"ü", false},
	}
	for i, c := range cases {
		if got := ValidName(c.name); got != c.want {
			t.Errorf("case %d: ValidName(%q) = %v, want %v", i, c.name, got, c.want)
		}
	}
}
