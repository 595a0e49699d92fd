package repro

import (
	"math"
	"testing"

	"github.com/regsched/regsched/experiments/datasets"
)

func loadFashionSubset(t testing.TB) (train, test *datasets.Set) {
	t.Helper()
	train, err := datasets.ReadIDXFiles("fashion/train", "testdata/fashion-train300-images-idx3-ubyte.gz",
		"testdata/fashion-train300-labels-idx1-ubyte.gz")
	if err != nil {
		t.Fatal(err)
	}
	test, err = datasets.ReadIDXFiles("fashion/test", "testdata/fashion-t10k100-images-idx3-ubyte.gz",
		"testdata/fashion-t10k100-labels-idx1-ubyte.gz")
	if err != nil {
		t.Fatal(err)
	}
	return train, test
}

func TestComparePruningSparsity(t *testing.T) {
	train, test := loadFashionSubset(t)
	p := PruneProtocol{
		RunConfig: RunConfig{Sizes: []int{784, 30, 20, 10}, Batch: 20, Steps: 40, LearnRate: 1e-3},
		Begin:     5, End: 25, Every: 5,
	}
	targets := []float64{0.5, 0.9}
	rs, err := ComparePruning(p, train, test, targets, 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1+2*len(targets) {
		t.Fatalf("%d results, want %d", len(rs), 1+2*len(targets))
	}
	sizes := []int{784 * 30, 30 * 20, 20 * 10}
	for i, r := range rs {
		// Every matrix holds exactly round(s·n) zeros after pruning
		// (half away from zero), so the overall sparsity is their sum
		// over the weight count; dense weights drawn from a continuous
		// distribution are never exactly 0.
		var zeros, total float64
		for _, n := range sizes {
			zeros += math.Round(r.Target * float64(n))
			total += float64(n)
		}
		if want := zeros / total; r.Sparsity != want {
			t.Errorf("result %d (%s %.2f): sparsity %v, want %v", i, r.Method, r.Target,
				r.Sparsity, want)
		}
		if !(r.Accuracy > 0.1) {
			t.Errorf("result %d (%s %.2f): accuracy %v, want above chance (0.1)", i, r.Method,
				r.Target, r.Accuracy)
		}
	}
}

func TestPruneProtocolValidate(t *testing.T) {
	good := PruneProtocol{
		RunConfig: RunConfig{Sizes: []int{4, 2}, Batch: 1, Steps: 10, LearnRate: 1e-3},
		Begin:     1, End: 5, Every: 1,
	}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid protocol rejected: %v", err)
	}
	bad := []func(p *PruneProtocol){
		func(p *PruneProtocol) { p.Sizes = []int{4} },
		func(p *PruneProtocol) { p.Batch = 0 },
		func(p *PruneProtocol) { p.LearnRate = 0 },
		func(p *PruneProtocol) { p.End = p.Begin },
		func(p *PruneProtocol) { p.End = p.Steps },
		func(p *PruneProtocol) { p.Every = 0 },
	}
	for i, change := range bad {
		p := good
		p.Sizes = append([]int(nil), good.Sizes...)
		change(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("case %d: invalid protocol %+v accepted", i, p)
		}
	}
}
