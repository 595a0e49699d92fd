package repro

import (
	"fmt"
	"strings"
	"testing"
)

func TestCompactSeedStructured(t *testing.T) {
	train, test := loadFashionSubset(t)
	p := PruneProtocol{
		RunConfig: RunConfig{Sizes: []int{784, 30, 20, 10}, Batch: 20, Steps: 40, LearnRate: 1e-3},
		Begin:     5, End: 25, Every: 5,
	}
	r, _, _, err := CompactSeed(p, train, test, 0.8, 1)
	if err != nil {
		t.Fatal(err)
	}
	// 80% of 30 and of 20 units pruned whole: 6 and 4 remain. Corner
	// pixels keep their initial (non-zero) weights, so no input goes.
	if want := "[784 6 4 10]"; fmt.Sprint(r.Shape) != want {
		t.Errorf("compact shape %v, want %s", r.Shape, want)
	}
	if want := 784*6 + 6*4 + 4*10; r.Weights != want {
		t.Errorf("compact net has %d weights, want %d", r.Weights, want)
	}
	if r.SamePredictions != test.Rows {
		t.Errorf("%d of %d predictions agree, want all", r.SamePredictions, test.Rows)
	}
	if r.CompactAccuracy != r.PrunedAccuracy {
		t.Errorf("compact accuracy %v, pruned %v; want equal", r.CompactAccuracy, r.PrunedAccuracy)
	}
}

func TestCompactFindingsVerdict(t *testing.T) {
	same := CompactResult{Seed: 1, PrunedAccuracy: 0.8, CompactAccuracy: 0.8,
		SamePredictions: 100, TestSamples: 100, Weights: 10, DenseWeights: 50}
	changed := same
	changed.SamePredictions = 99
	fast := []CompactTiming{{Batch: 1, Speedup: 1.5}, {Batch: 100, Speedup: 3}}
	slow := []CompactTiming{{Batch: 1, Speedup: 0.9}, {Batch: 100, Speedup: 3}}
	cases := []struct {
		rs   []CompactResult
		ts   []CompactTiming
		want string
	}{
		{[]CompactResult{same}, fast, "held: the compact nets give the same predictions"},
		{[]CompactResult{same}, slow, "held only in part"},
		{[]CompactResult{same, changed}, fast, "did not hold"},
	}
	for i, c := range cases {
		got := compactFindings(c.rs, c.ts)
		if !strings.Contains(got, c.want) {
			t.Errorf("case %d: findings lack %q:\n%s", i, c.want, got)
		}
	}
	if got := compactFindings([]CompactResult{same}, fast); !strings.Contains(got,
		"100 of 100 test predictions agree, accuracy 80.00% before and 80.00% after "+
			"compaction, 5.0 times fewer weights") {
		t.Errorf("findings lack the line of seed 1:\n%s", got)
	}
}
