package repro

import (
	"math"
	"sort"

	"github.com/pkg/errors"
)

// CompactStats records what Compact removed.
type CompactStats struct {
	InputsBefore, InputsAfter int
	UnitsBefore, UnitsAfter   []int // hidden units per hidden layer
	Folded                    int   // units whose constant, non-zero output moved into the next bias
	WeightsBefore             int
	WeightsAfter              int
}

// Compact returns a smaller dense net that computes the same function as
// n, and what it removed. It removes, until nothing changes:
//   - a hidden unit whose outgoing weights (its row of the next layer's
//     W) are all zero, because it adds exactly 0 to every later sum;
//   - a hidden unit whose incoming weights (its column of W) are all
//     zero, after adding its constant output ReLU(b)·(its outgoing row)
//     into the next layer's bias;
//   - an input feature whose outgoing weights are all zero, recorded in
//     the result's Inputs so that the compact net still takes full
//     samples.
//
// The output layer keeps every unit. The result equals n's outputs in
// exact arithmetic. In float32 the folded biases and the shorter sums
// round differently, so outputs agree to rounding, not bit for bit.
// Compact does not modify n. Its cost is O(Σ In·Out) per pass, and it
// makes at most one pass per removed unit plus one.
func Compact(n *Net) (*Net, CompactStats, error) {
	if len(n.Layers) == 0 {
		return nil, CompactStats{}, errors.New("repro: Compact: net has no layers")
	}
	c := n.Clone()
	st := CompactStats{InputsBefore: n.Layers[0].In, WeightsBefore: n.Weights()}
	for _, l := range n.Layers[:len(n.Layers)-1] {
		st.UnitsBefore = append(st.UnitsBefore, l.Out)
	}

	for changed := true; changed; {
		changed = false
		for l := 0; l+1 < len(c.Layers); l++ {
			folded, removed := compactHidden(c, l)
			st.Folded += folded
			changed = changed || removed
		}
	}
	compactInputs(c)

	st.InputsAfter = c.Layers[0].In
	st.WeightsAfter = c.Weights()
	for _, l := range c.Layers[:len(c.Layers)-1] {
		st.UnitsAfter = append(st.UnitsAfter, l.Out)
	}
	return c, st, nil
}

// compactHidden removes the removable units of hidden layer l (the
// outputs of c.Layers[l]) and reports how many it folded and whether it
// removed any.
func compactHidden(c *Net, l int) (folded int, removed bool) {
	cur, next := &c.Layers[l], &c.Layers[l+1]
	var keep []int
	for j := 0; j < cur.Out; j++ {
		if allZero(next.W[j*next.Out : (j+1)*next.Out]) {
			continue
		}
		if columnZero(cur, j) {
			if b := cur.B[j]; b > 0 {
				row := next.W[j*next.Out : (j+1)*next.Out]
				for k, w := range row {
					next.B[k] += b * w
				}
				folded++
			}
			continue
		}
		keep = append(keep, j)
	}
	if len(keep) == cur.Out {
		return 0, false
	}
	keepColumns(cur, keep)
	keepRows(next, keep)
	return folded, true
}

// compactInputs removes inputs whose rows of the first W are all zero.
func compactInputs(c *Net) {
	first := &c.Layers[0]
	var keep []int
	for i := 0; i < first.In; i++ {
		if !allZero(first.W[i*first.Out : (i+1)*first.Out]) {
			keep = append(keep, i)
		}
	}
	if len(keep) == first.In {
		return
	}
	inputs := make([]int, len(keep))
	for k, i := range keep {
		if c.Inputs != nil {
			inputs[k] = c.Inputs[i]
		} else {
			inputs[k] = i
		}
	}
	c.SampleWidth = c.InputWidth()
	keepRows(first, keep)
	c.Inputs = inputs
}

func allZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

func columnZero(l *Layer, j int) bool {
	for i := 0; i < l.In; i++ {
		if l.W[i*l.Out+j] != 0 {
			return false
		}
	}
	return true
}

// keepColumns keeps the output units idx (ascending) of l.
func keepColumns(l *Layer, idx []int) {
	w := make([]float32, l.In*len(idx))
	b := make([]float32, len(idx))
	for i := 0; i < l.In; i++ {
		for k, j := range idx {
			w[i*len(idx)+k] = l.W[i*l.Out+j]
		}
	}
	for k, j := range idx {
		b[k] = l.B[j]
	}
	l.W, l.B, l.Out = w, b, len(idx)
}

// keepRows keeps the inputs idx (ascending) of l.
func keepRows(l *Layer, idx []int) {
	w := make([]float32, len(idx)*l.Out)
	for k, i := range idx {
		copy(w[k*l.Out:(k+1)*l.Out], l.W[i*l.Out:(i+1)*l.Out])
	}
	l.W, l.In = w, len(idx)
}

// PruneUnits zeroes, in hidden layer l (the outputs of n.Layers[l]), the
// round(fraction·Out) units of smallest incoming L2 norm: their columns
// of W and their biases, so that each pruned unit outputs exactly 0. Ties
// go to the lower index. It is a one-shot structured magnitude pruner on
// plain weights, costing O(In·Out + Out·log Out).
func PruneUnits(n *Net, l int, fraction float64) error {
	if l < 0 || l+1 >= len(n.Layers) {
		return errors.Errorf("repro: PruneUnits: layer %d is not a hidden layer of a %d-layer net",
			l, len(n.Layers))
	}
	if !(fraction >= 0 && fraction < 1) {
		return errors.Errorf("repro: PruneUnits: fraction (%v) is outside [0, 1)", fraction)
	}
	layer := &n.Layers[l]
	norms := make([]float64, layer.Out)
	for i := 0; i < layer.In; i++ {
		for j := 0; j < layer.Out; j++ {
			v := float64(layer.W[i*layer.Out+j])
			norms[j] += v * v
		}
	}
	order := make([]int, layer.Out)
	for j := range order {
		order[j] = j
	}
	sort.SliceStable(order, func(a, b int) bool { return norms[order[a]] < norms[order[b]] })
	k := int(math.Round(fraction * float64(layer.Out)))
	for _, j := range order[:k] {
		for i := 0; i < layer.In; i++ {
			layer.W[i*layer.Out+j] = 0
		}
		layer.B[j] = 0
	}
	return nil
}

// MaxAbsDiff returns the largest absolute difference between the logits
// of a and b on the batch x, and the largest absolute logit of a, so a
// caller can state a relative tolerance.
func MaxAbsDiff(a, b *Net, x []float32, batch int) (diff, scale float64, err error) {
	ya, err := a.Forward(x, batch)
	if err != nil {
		return 0, 0, err
	}
	ya = append([]float32(nil), ya...)
	yb, err := b.Forward(x, batch)
	if err != nil {
		return 0, 0, err
	}
	if len(ya) != len(yb) {
		return 0, 0, errors.Errorf("repro: MaxAbsDiff: outputs have %d and %d values", len(ya), len(yb))
	}
	for i := range ya {
		diff = math.Max(diff, math.Abs(float64(ya[i])-float64(yb[i])))
		scale = math.Max(scale, math.Abs(float64(ya[i])))
	}
	return diff, scale, nil
}
