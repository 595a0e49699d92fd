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
	for _, w := range []string{"| 90% | RigL |", "- 90%: RigL is ", "that result",
		"training steps in all"} {
		if !strings.Contains(string(readme), w) {
			t.Errorf("README lacks %q", w)
		}
	}
	if strings.Contains(string(readme), "%!") {
		t.Errorf("README has a formatting error:\n%s", readme)
	}
}

func TestSparseReportVerdicts(t *testing.T) {
	// Accuracies per seed 1, 2 for static, SET and RigL at 90%.
	cases := []struct {
		static, set, rigl [2]float64
		want              []string
	}{
		{[2]float64{0.80, 0.81}, [2]float64{0.82, 0.83}, [2]float64{0.83, 0.84},
			[]string{"that result held: every regrowth method gains more",
				"RigL minus SET: +1.00 points at 90%, so that result held here"}},
		{[2]float64{0.80, 0.81}, [2]float64{0.82, 0.83}, [2]float64{0.806, 0.810},
			[]string{"held only weakly", "within the seed-to-seed spread for RigL at 90%",
				"so that result did not hold here"}},
		{[2]float64{0.80, 0.81}, [2]float64{0.79, 0.80}, [2]float64{0.82, 0.83},
			[]string{"did not hold everywhere: not above static for SET at 90%"}},
	}
	sr := &SparseRecipe{Targets: []float64{0.9}, Methods: []string{"static", "SET", "RigL"},
		Training: RunConfig{Sizes: []int{4, 2}, Batch: 1, Steps: 1, LearnRate: 1},
		Regrowth: Regrowth{Every: 1, End: 1, DropFraction: 0.3}}
	for i, c := range cases {
		var runs []SparseRun
		for s := 0; s < 2; s++ {
			runs = append(runs,
				SparseRun{Method: "static", Target: 0.9, Seed: int64(s + 1), Accuracy: c.static[s]},
				SparseRun{Method: "SET", Target: 0.9, Seed: int64(s + 1), Accuracy: c.set[s]},
				SparseRun{Method: "RigL", Target: 0.9, Seed: int64(s + 1), Accuracy: c.rigl[s]})
		}
		dir := t.TempDir()
		if err := sr.writeReport(dir, runs, runTime{}); err != nil {
			t.Fatal(err)
		}
		readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(string(readme), w) {
				t.Errorf("case %d: README lacks %q", i, w)
			}
		}
	}
}
