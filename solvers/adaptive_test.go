package solvers

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/regsched/regsched/schedules"
)

// guardedSolver prunes w1 to 0.5·m, where a guard on the observed
// "val_acc" halves m when it drops more than 0.05 below its best.
func guardedSolver(t *testing.T) (*model, *Solver, *schedules.Guard) {
	t.Helper()
	m := newModel(t, tensor.Float64, 61)
	g := schedules.MustParse("guard(constant(0.5), signal=val_acc, tolerance=0.05, " +
		"factor=0.5, hold=1)").(*schedules.Guard)
	s, err := Wrap(NewSGD(), WithLearnRate(0.01), WithPruning(m.w1, Magnitude{}, g))
	if err != nil {
		t.Fatal(err)
	}
	return m, s, g
}

// TestObserveReachesDecisions checks that a value passed to Observe
// moves a policy after the next step and is used once. The decision
// appears in that step's Metrics with its step, signal, old and new m,
// reason and owner.
func TestObserveReachesDecisions(t *testing.T) {
	m, s, g := guardedSolver(t)
	cases := []struct {
		observe bool
		acc     float64
		wantM   float64
		moved   bool
	}{
		{true, 0.9, 1, false},   // first value: the best so far
		{true, 0.7, 0.5, true},  // 0.2 below the best: back off
		{false, 0, 0.5, false},  // nothing observed
		{true, 0.6, 0.5, false}, // held for one update
		{true, 0.6, 0.25, true}, // still 0.3 below the best
	}
	for i, c := range cases {
		if c.observe {
			s.Observe("val_acc", c.acc)
		}
		m.train(t, s, 1)
		if got := g.M(); got != c.wantM {
			t.Errorf("%d: m = %v, want %v", i, got, c.wantM)
		}
		d := s.Metrics().Decisions
		if !c.moved {
			if len(d) != 0 {
				t.Errorf("%d: decisions %+v, want none", i, d)
			}
			continue
		}
		if len(d) != 1 {
			t.Fatalf("%d: decisions %+v, want one", i, d)
		}
		want := schedules.Decision{Step: i, Policy: "guard", Signal: "val_acc", Value: c.acc,
			Old: 2 * c.wantM, New: c.wantM, Owner: "pruning(w1)"}
		got := d[0]
		if !strings.HasPrefix(got.Reason, "backed off: val_acc") {
			t.Errorf("%d: reason %q, want a back-off on val_acc", i, got.Reason)
		}
		got.Reason = ""
		if got != want {
			t.Errorf("%d: decision %+v, want %+v", i, got, want)
		}
	}
}

// TestResumeRestoresPolicy checks that Save and Load carry a policy's
// state, so that a resumed solver's policy decides as the original does.
func TestResumeRestoresPolicy(t *testing.T) {
	m, s, g := guardedSolver(t)
	for _, acc := range []float64{0.9, 0.7, 0.8} {
		s.Observe("val_acc", acc)
		m.train(t, s, 1)
	}
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}

	m2, s2, g2 := guardedSolver(t)
	setWeights(t, m2, weightsOf(m))
	if err := s2.Load(&buf); err != nil {
		t.Fatal(err)
	}
	want, _ := g.MarshalState()
	got, _ := g2.MarshalState()
	if !bytes.Equal(got, want) {
		t.Fatalf("policy state after Load = %s, want %s", got, want)
	}
	moves := 0
	for i, acc := range []float64{0.7, 0.95, 0.5} {
		s.Observe("val_acc", acc)
		s2.Observe("val_acc", acc)
		m.train(t, s, 1)
		m2.train(t, s2, 1)
		d, d2 := s.Metrics().Decisions, s2.Metrics().Decisions
		if !reflect.DeepEqual(d, d2) {
			t.Errorf("%d: resumed decisions %+v, want %+v", i, d2, d)
		}
		moves += len(d)
		if g.M() != g2.M() {
			t.Errorf("%d: resumed m = %v, want %v", i, g2.M(), g.M())
		}
	}
	if moves != 2 {
		t.Errorf("%d decisions after the resume, want 2 back-offs", moves)
	}
}
