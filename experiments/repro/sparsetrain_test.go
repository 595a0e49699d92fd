package repro

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunSparseKeepsSparsity(t *testing.T) {
	train, test := loadFashionSubset(t)
	c := RunConfig{Sizes: []int{784, 30, 20, 10}, Batch: 20, Steps: 40, LearnRate: 1e-3,
		Solver: "adam"}
	g := Regrowth{Every: 10, End: 30, DropFraction: 0.3}
	total := 784*30 + 30*20 + 20*10
	const target = 0.9
	// ERK prunes round(s·N) weights in total (half away from zero).
	want := math.Round(target*float64(total)) / float64(total)
	for i, method := range []string{"static", "SET", "RigL"} {
		r, err := RunSparse(c, g, train, test, method, target, 1)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case method == "static" && r.Sparsity != want:
			t.Errorf("case %d (%s): sparsity %v, want exactly %v", i, method, r.Sparsity, want)
		case r.Sparsity < want:
			// Regrown weights start at 0 and stay 0 where the gradient is
			// 0 (blank corner pixels), so sparsity can only exceed it.
			t.Errorf("case %d (%s): sparsity %v, want ≥ %v", i, method, r.Sparsity, want)
		}
		if !(r.Accuracy > 0.1) {
			t.Errorf("case %d (%s): accuracy %v, want above chance (0.1)", i, method, r.Accuracy)
		}
	}
	if _, err := RunSparse(c, g, train, test, "dense", target, 1); err == nil {
		t.Error("unknown method accepted")
	}
}

func TestSparseReportVerdict(t *testing.T) {
	data := fashionSubsetFolder(t)
	recipe, err := ParseRecipe("x.yaml", []byte("reproduction: sparse-training\ndata: "+data+`
seeds: [1]
training: {sizes: [784, 30, 20, 10], solver: adam, learn_rate: 0.001, batch: 20, steps: 40}
targets: [0.9]
methods: [static, RigL]
regrowth: {every: 10, end: 30, drop_fraction: 0.3}
`))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := recipe.Run(Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"| 90% | RigL |", "- 90%: RigL is ", "That result",
		"training steps in all"} {
		if !strings.Contains(string(readme), w) {
			t.Errorf("README lacks %q", w)
		}
	}
	if strings.Contains(string(readme), "%!") {
		t.Errorf("README has a formatting error:\n%s", readme)
	}
}
