package repro

import (
	"fmt"
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
