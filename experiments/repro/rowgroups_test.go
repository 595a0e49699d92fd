package repro

import (
	"math"
	"testing"

	"gorgonia.org/tensor"
)

func TestBlockGroups(t *testing.T) {
	g, err := BlockGroups(4, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	// 4×4 image in 2×2 blocks, row-major: block 1 is the top right one.
	want := [][]int{{0, 1, 4, 5}, {2, 3, 6, 7}, {8, 9, 12, 13}, {10, 11, 14, 15}}
	if len(g.Groups) != len(want) {
		t.Fatalf("%d groups, want %d", len(g.Groups), len(want))
	}
	for i := range want {
		for k := range want[i] {
			if g.Groups[i][k] != want[i][k] {
				t.Errorf("group %d: %v, want %v", i, g.Groups[i], want[i])
				break
			}
		}
	}
	for i, c := range [][3]int{{4, 4, 3}, {0, 4, 2}, {4, 4, 0}} {
		if _, err := BlockGroups(c[0], c[1], c[2]); err == nil {
			t.Errorf("case %d: BlockGroups%v returned no error", i, c)
		}
	}
}

func TestRowGroupsProx(t *testing.T) {
	// Rows 0–1 form a group of norm √(9+16+0+0) = 5, row 2 a group of norm
	// √(1+0) = 1; row 3 is in no group. Block soft thresholding by 2
	// scales the first group by 1 − 2/5 and zeroes the second (closed
	// form of the group-lasso proximal operator).
	w := tensor.New(tensor.WithShape(4, 2), tensor.WithBacking([]float64{3, 4, 0, 0, 1, 0, 7, 7}))
	r := RowGroups{Groups: [][]int{{0, 1}, {2}}}
	v, err := r.Value(w)
	if err != nil {
		t.Fatal(err)
	}
	if v != 6 {
		t.Errorf("value %v, want 5 + 1 = 6", v)
	}
	if err := r.Prox(w, 2); err != nil {
		t.Fatal(err)
	}
	want := []float64{3 * 0.6, 4 * 0.6, 0, 0, 0, 0, 7, 7}
	got := w.Data().([]float64)
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Errorf("element %d: %v, want %v", i, got[i], want[i])
		}
	}
}

func TestRowGroupsGradFiniteDifference(t *testing.T) {
	data := []float64{0.3, -1.2, 0.5, 2.0, 0, 0, -0.7, 0.1}
	w := tensor.New(tensor.WithShape(4, 2), tensor.WithBacking(append([]float64(nil), data...)))
	grad := tensor.New(tensor.WithShape(4, 2), tensor.Of(tensor.Float64))
	r := RowGroups{Groups: [][]int{{0, 1}, {2}, {3}}}
	if err := r.AddGrad(w, grad, 0.5); err != nil {
		t.Fatal(err)
	}
	g := grad.Data().([]float64)
	const h = 1e-6
	for i := range data {
		if i == 4 || i == 5 {
			// Group {2} is zero: the minimum-norm subgradient is 0.
			if g[i] != 0 {
				t.Errorf("element %d of a zero group: gradient %v, want 0", i, g[i])
			}
			continue
		}
		plus := append([]float64(nil), data...)
		minus := append([]float64(nil), data...)
		plus[i] += h
		minus[i] -= h
		vp, _ := r.Value(tensor.New(tensor.WithShape(4, 2), tensor.WithBacking(plus)))
		vm, _ := r.Value(tensor.New(tensor.WithShape(4, 2), tensor.WithBacking(minus)))
		want := 0.5 * (vp - vm) / (2 * h)
		if math.Abs(g[i]-want) > 1e-7 {
			t.Errorf("element %d: gradient %v, central difference %v", i, g[i], want)
		}
	}
}

func TestRowGroupsErrors(t *testing.T) {
	w := tensor.New(tensor.WithShape(3, 2), tensor.Of(tensor.Float32))
	cases := []RowGroups{
		{Groups: [][]int{{0, 3}}},      // row 3 of a 3-row weight
		{Groups: [][]int{{0, 1}, {1}}}, // overlapping
		{Groups: [][]int{{-1}}},
	}
	for i, r := range cases {
		if _, err := r.Value(w); err == nil {
			t.Errorf("case %d: Value with groups %v returned no error", i, r.Groups)
		}
	}
	if err := (RowGroups{Groups: [][]int{{0}}}).Prox(w, -1); err == nil {
		t.Error("Prox with a negative threshold returned no error")
	}
	vec := tensor.New(tensor.WithShape(3), tensor.Of(tensor.Float32))
	if _, err := (RowGroups{}).Value(vec); err == nil {
		t.Error("Value of a vector returned no error")
	}
}
