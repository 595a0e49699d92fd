package repro

import (
	"fmt"
	"math"
	"testing"
)

func TestCompactFoldsDeadUnit(t *testing.T) {
	// 2→2→1: hidden unit 1 has no incoming weights and bias 3, so it
	// always outputs 3 and its contribution 3·7 moves into the output
	// bias. Expected values worked by hand.
	n := &Net{Layers: []Layer{
		{In: 2, Out: 2, W: []float32{1, 0, 2, 0}, B: []float32{0, 3}},
		{In: 2, Out: 1, W: []float32{5, 7}, B: []float32{1}},
	}}
	c, st, err := Compact(n)
	if err != nil {
		t.Fatal(err)
	}
	if st.Folded != 1 || st.UnitsAfter[0] != 1 {
		t.Fatalf("stats %+v, want 1 folded unit and 1 hidden unit left", st)
	}
	if got := c.Layers[1].B[0]; got != 22 {
		t.Errorf("output bias %v, want 1+3·7 = 22", got)
	}
	y, err := c.Forward([]float32{1, 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if y[0] != 37 {
		t.Errorf("compact output %v, want ReLU(1+2)·5 + 22 = 37", y[0])
	}
}

func TestCompactPrunedNet(t *testing.T) {
	_, test := loadDigits(t)
	cases := []struct {
		prune      []float64 // PruneUnits fraction per hidden layer
		deadIn     []int     // layer-1 units whose incoming column is zeroed, bias kept
		deadInputs []int     // input pixels whose rows of the first W are zeroed
		wantUnits  []int
		wantInputs int
	}{
		{prune: []float64{0, 0}, wantUnits: []int{32, 16}, wantInputs: 64},
		{prune: []float64{0.5, 0.25}, wantUnits: []int{16, 12}, wantInputs: 64},
		{prune: []float64{0.75, 0}, deadIn: []int{0, 5}, deadInputs: []int{0, 7, 56, 63},
			wantUnits: []int{8, 14}, wantInputs: 60},
	}
	for i, c := range cases {
		n, err := NewNet([]int{64, 32, 16, 10}, int64(i))
		if err != nil {
			t.Fatal(err)
		}
		for l, f := range c.prune {
			if err := PruneUnits(n, l, f); err != nil {
				t.Fatal(err)
			}
		}
		for _, j := range c.deadIn {
			l := &n.Layers[1]
			for r := 0; r < l.In; r++ {
				l.W[r*l.Out+j] = 0
			}
			l.B[j] = 0.5
		}
		for _, p := range c.deadInputs {
			l := &n.Layers[0]
			clear(l.W[p*l.Out : (p+1)*l.Out])
		}

		small, st, err := Compact(n)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(st.UnitsAfter) != fmt.Sprint(c.wantUnits) {
			t.Errorf("case %d: hidden units %v, want %v", i, st.UnitsAfter, c.wantUnits)
		}
		if st.InputsAfter != c.wantInputs {
			t.Errorf("case %d: inputs %d, want %d", i, st.InputsAfter, c.wantInputs)
		}
		if st.Folded != len(c.deadIn) {
			t.Errorf("case %d: folded %d units, want %d", i, st.Folded, len(c.deadIn))
		}
		diff, scale, err := MaxAbsDiff(n, small, toFloat32(test.X), test.Rows)
		if err != nil {
			t.Fatal(err)
		}
		// Float32 sums of at most 64 terms of size ≤ 1: a few ulps of
		// the largest logit.
		if tol := 1e-6 * math.Max(1, scale); diff > tol {
			t.Errorf("case %d: outputs differ by %g, want ≤ %g", i, diff, tol)
		}
	}
}

func TestPruneUnitsErrors(t *testing.T) {
	n, err := NewNet([]int{4, 3, 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		layer    int
		fraction float64
	}{
		{layer: 1, fraction: 0.5},  // output layer
		{layer: -1, fraction: 0.5}, // no such layer
		{layer: 0, fraction: 1},
		{layer: 0, fraction: math.NaN()},
	}
	for i, c := range cases {
		if err := PruneUnits(n, c.layer, c.fraction); err == nil {
			t.Errorf("case %d: PruneUnits(%d, %v) returned no error", i, c.layer, c.fraction)
		}
	}
}

// benchmarkForward times one forward pass of batch samples.
func benchmarkForward(b *testing.B, n *Net, batch int) {
	x := make([]float32, batch*n.InputWidth())
	for i := range x {
		x[i] = float32(i%255) / 255
	}
	var buf forwardBuffers
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n.forward(x, batch, &buf)
	}
}

// BenchmarkCompactForward compares a LeNet-300-100 whose hidden layers
// lost 75% of their units to structured pruning with its compacted form.
func BenchmarkCompactForward(b *testing.B) {
	n, err := NewNet([]int{784, 300, 100, 10}, 1)
	if err != nil {
		b.Fatal(err)
	}
	for l := 0; l < 2; l++ {
		if err := PruneUnits(n, l, 0.75); err != nil {
			b.Fatal(err)
		}
	}
	small, _, err := Compact(n)
	if err != nil {
		b.Fatal(err)
	}
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d/original", batch), func(b *testing.B) {
			benchmarkForward(b, n, batch)
		})
		b.Run(fmt.Sprintf("batch=%d/compact", batch), func(b *testing.B) {
			benchmarkForward(b, small, batch)
		})
	}
}
