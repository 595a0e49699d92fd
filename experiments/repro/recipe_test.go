package repro

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/regsched/regsched/experiments"
)

// builtinRecipe returns the settings of a reproduction's built-in recipe.
func builtinRecipe[T Settings](t testing.TB, name string) T {
	t.Helper()
	r, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	recipe, err := r.Recipe()
	if err != nil {
		t.Fatal(err)
	}
	s, ok := recipe.Settings.(T)
	if !ok {
		t.Fatalf("%s: settings of type %T", name, recipe.Settings)
	}
	return s
}

func TestBuiltinRecipesParse(t *testing.T) {
	for _, r := range Reproductions() {
		recipe, err := r.Recipe()
		if err != nil {
			t.Errorf("%s: %v", r.Name, err)
			continue
		}
		if got := recipe.Reproduction(); got != r.Name {
			t.Errorf("%s: recipe names reproduction %q", r.Name, got)
		}
		if d := recipe.Settings.common().Data; filepath.IsAbs(d) {
			t.Errorf("%s: data folder %q is absolute", r.Name, d)
		}
	}
}

func TestEveryRecipeFileRegistered(t *testing.T) {
	files, err := fs.Glob(experiments.ReproRecipes, "recipes/repro/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(Reproductions()) {
		t.Errorf("%d recipe files for %d reproductions", len(files), len(Reproductions()))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		if _, err := Lookup(name); err != nil {
			t.Errorf("recipe file %s: %v", f, err)
		}
	}
}

func TestRecipeErrors(t *testing.T) {
	const lasso = `reproduction: lasso-path
data: data
reference: golden/lasso_diabetes.json
steps_per_alpha: 20000
tolerance: 1e-6
`
	cases := []struct {
		src  string
		want string
	}{
		{strings.Replace(lasso, "steps_per_alpha", "step_per_alpha", 1),
			`x.yaml:4: unknown key "step_per_alpha" in the recipe`},
		{strings.Replace(lasso, "20000", "many", 1),
			`x.yaml:4: steps_per_alpha: invalid value "many" (want an integer)`},
		{strings.Replace(lasso, "20000", "-5", 1), "x.yaml:4: steps_per_alpha (-5) must be positive"},
		{strings.Replace(lasso, "1e-6", "0", 1), "x.yaml:5: tolerance (0) must be positive"},
		{lasso + "seeds: [1, 2]\n", "x.yaml:6: seeds are not used"},
		{strings.Replace(lasso, "lasso-path", "lasso-paths", 1),
			`x.yaml:1: reproduction "lasso-paths" is unknown`},
		{strings.Replace(lasso, "reproduction: lasso-path\n", "", 1), "missing key reproduction"},
		{"reproduction: [lasso-path\n", "x.yaml:"},
		{"- 1\n- 2\n", "x.yaml:1: a recipe is a mapping of keys"},
		{"", "x.yaml: empty recipe"},
	}
	for i, c := range cases {
		_, err := ParseRecipe("x.yaml", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: error %v, want one containing %q", i, err, c.want)
		}
	}
}

// TestBuiltinRecipeTypos changes one key or value of each built-in
// recipe and checks that the error gives its line.
func TestBuiltinRecipeTypos(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"schedule-comparison", "record_every:", "recordevery:",
			`unknown key "recordevery" in the recipe`},
		{"schedule-comparison", "learn_rate: 0.01", "learning_rate: 0.01",
			`unknown key "learning_rate" in training`},
		{"schedule-comparison", `spec: "constant(0.3)"`, `spec: "constant(0.4)"`,
			"ends at λ = 0.4, not final_lambda (0.3)"},
		{"schedule-comparison", `    spec: "linear(0, 0.3, 0, 1000)"`, `    spek: "linear"`,
			`unknown key "spek" in a schedule`},
		{"group-lasso-inputs", "groups: [blocks, pixels]", "groups: [blocks, rows]",
			`groups.1 ("rows") is unknown`},
		{"group-lasso-inputs", "solver: sgd", "solver: gorgonia-adam", "training.solver"},
		{"group-lasso-inputs", "block_size: 2", "block_size: 3", "block_size (3) must divide"},
		{"lipschitz", "radii: [0.5, 2]", "radii: [0.5, -2]", "radii.1 (-2) must be positive"},
		{"lipschitz", "seeds: [1, 2, 3, 4, 5]", "seeds: [1, 2, 1, 4, 5]", "seeds.2 (1) is given twice"},
		{"lenet-pruning", "prune_end: 720", "prune_end: 1300", "training.prune_end (1300)"},
		{"lenet-pruning", "targets: [0.5,", "targets: [1.5,", "targets.0 (1.5) is outside"},
		{"lenet-full", "seeds: [1]", "seeds: [1, 2]", "lenet-full runs exactly one"},
		{"sparse-training", "methods: [static, SET, RigL]", "methods: [static, SET, rigl]",
			`methods.2 ("rigl") is unknown`},
		{"sparse-training", "drop_fraction: 0.3", "drop_fraction: 1.3", "regrowth.drop_fraction"},
		{"structured-compaction", "solver: gorgonia-adam", "solver: adagrad",
			`training.solver ("adagrad") is unknown`},
	}
	for i, c := range cases {
		r, err := Lookup(c.name)
		if err != nil {
			t.Fatal(err)
		}
		text, err := r.RecipeYAML()
		if err != nil {
			t.Fatal(err)
		}
		src := string(text)
		at := strings.Index(src, c.old)
		if at < 0 {
			t.Fatalf("case %d: %q not in the %s recipe", i, c.old, c.name)
		}
		line := strings.Count(src[:at], "\n") + 1
		src = strings.Replace(src, c.old, c.new, 1)
		_, err = ParseRecipe(c.name+".yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: error %v, want one containing %q", i, err, c.want)
			continue
		}
		prefix := c.name + ".yaml:" + strconv.Itoa(line) + ":"
		if !strings.Contains(err.Error(), prefix) {
			t.Errorf("case %d: error %v, want it at line %d", i, err, line)
		}
	}
}

func TestRecipeRunOverrides(t *testing.T) {
	recipe, err := ParseRecipe("x.yaml", []byte(`reproduction: schedule-comparison
data: data
seeds: [4]
split: {test_fraction: 0.25, seed: 1}
training: {sizes: [64, 10], learn_rate: 0.01, batch: 32, steps: 10}
final_lambda: 0.3
record_every: 5
schedules:
  - {name: constant, spec: "constant(0.3)"}
`))
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nothing-here")
	err = recipe.Run(Options{Data: missing, Seeds: 2, Out: t.TempDir()})
	want := filepath.Join(missing, "digits.csv.gz") + " not found"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one containing %q", err, want)
	}
	c := recipe.Settings.common()
	if c.Data != missing || len(c.Seeds) != 2 || c.Seeds[0] != 1 || c.Seeds[1] != 2 {
		t.Errorf("after overrides: data %q, seeds %v; want %q and [1 2]", c.Data, c.Seeds, missing)
	}
}

func TestRecipeRunsOnSmallDigits(t *testing.T) {
	// A folder with the embedded digits file is the data folder, and a
	// short run writes the whole report.
	data := t.TempDir()
	raw, err := os.ReadFile(filepath.Join("..", "datasets", "data", "digits.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "digits.csv.gz"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	recipe, err := ParseRecipe("x.yaml", []byte(`reproduction: schedule-comparison
data: `+data+`
seeds: [1]
split: {test_fraction: 0.25, seed: 1}
training: {sizes: [64, 16, 10], learn_rate: 0.01, batch: 32, steps: 40}
final_lambda: 0.3
record_every: 10
schedules:
  - {name: constant, spec: "constant(0.3)"}
  - {name: linear, spec: "linear(0, 0.3, 0, 20)"}
`))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := recipe.Run(Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"README.md", "results.jsonl", "accuracy-vs-sparsity.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("report file %s: %v", f, err)
		}
	}
}

func TestRecipeBuiltinData(t *testing.T) {
	// Without a data folder, the digits come from the built-in copy.
	recipe, err := ParseRecipe("x.yaml", []byte(`reproduction: schedule-comparison
seeds: [1]
split: {test_fraction: 0.25, seed: 1}
training: {sizes: [64, 16, 10], learn_rate: 0.01, batch: 32, steps: 20}
final_lambda: 0.3
record_every: 10
schedules:
  - {name: constant, spec: "constant(0.3)"}
`))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := recipe.Run(Options{Out: out}); err != nil {
		t.Fatalf("schedule-comparison on the built-in digits: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "README.md")); err != nil {
		t.Errorf("report: %v", err)
	}

	// The built-in Lasso recipe reads the built-in diabetes set and
	// reference: 442 rows of 10 features, the reference's 6 single fits.
	lasso, err := mustLookup(t, "lasso-path").Recipe()
	if err != nil {
		t.Fatal(err)
	}
	d, ref, err := lasso.Settings.(*LassoRecipe).load()
	if err != nil {
		t.Fatalf("lasso-path on the built-in copies: %v", err)
	}
	if d.Rows != 442 || d.Features != 10 {
		t.Errorf("diabetes: %d rows of %d features, want 442 of 10", d.Rows, d.Features)
	}
	if len(ref.Fits) != 6 {
		t.Errorf("reference: %d fits, want 6", len(ref.Fits))
	}
}

func TestRecipeFashionNeedsData(t *testing.T) {
	for _, name := range []string{"lenet-pruning", "lenet-full", "sparse-training",
		"structured-compaction"} {
		recipe, err := mustLookup(t, name).Recipe()
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "report")
		err = recipe.Run(Options{Out: out})
		for _, want := range []string{"--data", "t10k-labels-idx1-ubyte.gz"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s without data: error %v, want one containing %q", name, err, want)
			}
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s without data: report folder %s was created", name, out)
		}
	}
}

func mustLookup(t *testing.T, name string) Reproduction {
	t.Helper()
	r, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
