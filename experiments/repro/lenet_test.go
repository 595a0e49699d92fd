package repro

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fashionSubsetFolder returns a folder holding the Fashion-MNIST subset
// of testdata under the published file names.
func fashionSubsetFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"train-images-idx3-ubyte.gz": "fashion-train300-images-idx3-ubyte.gz",
		"train-labels-idx1-ubyte.gz": "fashion-train300-labels-idx1-ubyte.gz",
		"t10k-images-idx3-ubyte.gz":  "fashion-t10k100-images-idx3-ubyte.gz",
		"t10k-labels-idx1-ubyte.gz":  "fashion-t10k100-labels-idx1-ubyte.gz",
	}
	for name, src := range files {
		b, err := os.ReadFile(filepath.Join("testdata", src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const smallPruneTraining = `training:
  sizes: [784, 30, 20, 10]
  learn_rate: 0.001
  batch: 20
  steps: 40
  prune_begin: 5
  prune_end: 25
  prune_every: 5
`

func TestLeNetReportsOnSubset(t *testing.T) {
	data := fashionSubsetFolder(t)
	cases := []struct {
		recipe string
		files  []string
		want   []string // lines the README must contain
	}{
		{
			recipe: "reproduction: lenet-pruning\ndata: " + data + "\nseeds: [1, 2]\n" +
				smallPruneTraining + "targets: [0.5, 0.9, 0.98]\nextra_targets: [0.98]\n",
			files: []string{"README.md", "results.jsonl", "accuracy-vs-sparsity.svg"},
			want: []string{"| 98% |", "Zhu & Gupta's result", "times fewer weights",
				"gradual, global + LR decay at 98%", "training steps in all"},
		},
		{
			recipe: "reproduction: lenet-full\ndata: " + data + "\nseeds: [1]\n" +
				smallPruneTraining + "runs:\n  - {method: dense, target: 0}\n" +
				"  - {method: gradual, target: 0.9}\n" +
				"  - {method: \"gradual, global + LR decay\", target: 0.98}\n" +
				"  - {method: \"gradual, ERK + LR decay\", target: 0.98}\n",
			files: []string{"README.md", "results.jsonl", "accuracy-vs-reference.svg"},
			want: []string{"| gradual, global + LR decay | 98% |",
				"| gradual, ERK + LR decay | 98% |", "Zhu & Gupta (2017)",
				"gradual at 90%:", "load average"},
		},
	}
	for i, c := range cases {
		recipe, err := ParseRecipe("x.yaml", []byte(c.recipe))
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		out := t.TempDir()
		if err := recipe.Run(Options{Out: out}); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		for _, f := range c.files {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("case %d: report file %s: %v", i, f, err)
			}
		}
		readme, err := os.ReadFile(filepath.Join(out, "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(strings.ToLower(string(readme)), strings.ToLower(w)) {
				t.Errorf("case %d: README lacks %q", i, w)
			}
		}
		if strings.Contains(string(readme), "%!") {
			t.Errorf("case %d: README has a formatting error:\n%s", i, readme)
		}
	}
}

func TestLeNetFullFindingsVerdicts(t *testing.T) {
	cases := []struct {
		runs []PruneResult
		want []string
	}{
		{
			// Reference values themselves: 90% is 0.4 points below dense.
			runs: []PruneResult{{Method: methodDense, Accuracy: 0.887},
				{Method: methodGradual, Target: 0.9, Accuracy: 0.883},
				{Method: methodGradual, Target: 0.98, Accuracy: 0.838},
				{Method: methodGlobalDecay, Target: 0.98, Accuracy: 0.87}},
			want: []string{"the result held", "Within 0.5 points of dense (88.70%) here: " +
				"gradual up to 90% sparsity (10 times fewer weights); gradual, global + LR " +
				"decay at no target measured. That result was not shown",
				"gradual at 90%: 88.30% vs 88.3% (+0.00 points): " +
					"matches", "gradual at 98%: 83.80% vs 83.8% (+0.00 points): does not beat",
				"gradual, global + LR decay at 98%: 87.00% vs 83.8% (+3.20 points): beats"},
		},
		{
			runs: []PruneResult{{Method: methodDense, Accuracy: 0.89},
				{Method: methodGradual, Target: 0.9, Accuracy: 0.875}},
			want: []string{"gap to dense is 1.50 points", "did not hold",
				"does not match (below 88.0%)"},
		},
	}
	for i, c := range cases {
		got := leNetFullFindings(c.runs)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("case %d: findings lack %q:\n%s", i, w, got)
			}
		}
	}
}

func TestLeNetFindingsNearDense(t *testing.T) {
	// Gradual stays within 0.5 points of dense up to 90% (0.4 below at
	// 90%, 0.6 below at 95%): 10 times fewer weights.
	sum := map[string]map[float64]pruneSummary{
		methodDense:   {0: {acc: 0.880}},
		methodGradual: {0.5: {acc: 0.881}, 0.9: {acc: 0.876}, 0.95: {acc: 0.874}},
		methodOneShot: {0.5: {acc: 0.882}, 0.9: {acc: 0.870}, 0.95: {acc: 0.860}},
	}
	got := leNetFindings([]float64{0.5, 0.9, 0.95}, sum)
	for _, w := range []string{"gradual up to 90% sparsity (10 times fewer weights); " +
		"one-shot up to 50% sparsity (2 times fewer weights); gradual, global + LR decay at " +
		"no target measured. That result was not shown",
		"ahead at 90% (+0.60 points), 95% (+1.40 points), not ahead at 50% (-0.10 points)",
		"Zhu & Gupta's result held"} {
		if !strings.Contains(got, w) {
			t.Errorf("findings lack %q:\n%s", w, got)
		}
	}
}

func TestLeNetRecipeExtraTargets(t *testing.T) {
	text := "reproduction: lenet-pruning\ndata: x\nseeds: [1]\n" + smallPruneTraining +
		"targets: [0.5, 0.9]\nextra_targets: [0.98]\n"
	_, err := ParseRecipe("x.yaml", []byte(text))
	if want := "extra_targets.0 (0.98) is not one of targets"; err == nil ||
		!strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one containing %q", err, want)
	}
}

func TestNearDenseFindingHeld(t *testing.T) {
	// 95% sparsity keeps 1 weight in 20, more than Han et al.'s 12.
	accs := map[string]map[float64]float64{methodGradual: {0.9: 0.884, 0.95: 0.883}}
	got := nearDenseFinding(0.886, []string{methodGradual}, accs)
	want := "gradual up to 95% sparsity (20 times fewer weights). That result held."
	if !strings.Contains(got, want) {
		t.Errorf("finding %q lacks %q", got, want)
	}
}

func TestLayerSparsityCounts(t *testing.T) {
	n := &Net{Layers: []Layer{
		{In: 2, Out: 2, W: []float32{0, 1, 0, 2}, B: []float32{0, 0}},
		{In: 2, Out: 1, W: []float32{3, 4}, B: []float32{0}},
	}}
	got := layerSparsity(n)
	want := []float64{0.5, 0}
	if len(got) != len(want) {
		t.Fatalf("%d layers, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("layer %d: sparsity %v, want %v", i, got[i], want[i])
		}
	}
}
