package repro

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/regsched/regsched/experiments/datasets"
)

func loadDigits(t testing.TB) (train, test *datasets.Set) {
	t.Helper()
	d, err := datasets.Digits()
	if err != nil {
		t.Fatal(err)
	}
	train, test, err = datasets.Split(d, 0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	return train, test
}

func TestModelForwardMatchesNet(t *testing.T) {
	train, _ := loadDigits(t)
	net, err := NewNet([]int{64, 32, 16, 10}, 3)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 20
	m, err := NewModel(net, batch)
	if err != nil {
		t.Fatal(err)
	}
	var logits gorgonia.Value
	gorgonia.Read(m.Logits, &logits)
	tr, err := NewTrainer(m, m.Loss, gorgonia.NewVanillaSolver(gorgonia.WithLearnRate(0)),
		train, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Step(); err != nil {
		t.Fatal(err)
	}
	want, err := net.Forward(tr.xv.Data().([]float32), batch)
	if err != nil {
		t.Fatal(err)
	}
	got := logits.Data().([]float32)
	// Both sides compute the same float32 sums, possibly in another order.
	const tol = 1e-5
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > tol {
			t.Fatalf("logit %d: graph %v, Net.Forward %v", i, got[i], want[i])
		}
	}
}

func TestTrainerLearnsDigits(t *testing.T) {
	train, test := loadDigits(t)
	net, err := NewNet([]int{64, 32, 10}, 1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(net, 32)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, m.Loss, gorgonia.NewAdamSolver(gorgonia.WithLearnRate(1e-2)), train, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	first := math.NaN()
	var last float64
	for i := 0; i < 300; i++ {
		if last, err = tr.Step(); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = last
		}
	}
	// A 64-32-10 MLP reaches about 95% on held-out digits after a few
	// epochs; 90% leaves room for seed variation.
	acc, err := m.Net().Accuracy(test)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.9 {
		t.Errorf("test accuracy %.3f after 300 steps, want ≥ 0.9 (loss %.3f → %.3f)", acc, first, last)
	}
	if !(last < first) {
		t.Errorf("loss did not fall: %.3f → %.3f", first, last)
	}
}
