package solvers

import (
	"encoding/binary"
	"math"
	"math/bits"
	"unsafe"
)

// masked reports whether the layer has pruned weights.
func (l *layer) masked() bool { return l.pruned > 0 }

// captureScores reads, before the inner step, what the step's mask
// updates need from the gradient: |w·g| for Taylor pruning, |g| for RigL
// growth, and a copy of the weights for movement scores.
func (s *Solver) captureScores() {
	for _, g := range s.groups {
		_, taylor := g.crit.(Taylor)
		_, movement := g.crit.(Movement)
		rigl := g.pendingRegrow && !g.regrow.random()
		for _, l := range g.layers {
			p := &s.params[l.param]
			switch {
			case taylor && g.pendingUpdate:
				if p.w32 != nil {
					taylorScores(l.gradScore, p.w32, p.g32)
				} else {
					taylorScores(l.gradScore, p.w64, p.g64)
				}
			case rigl:
				if p.w32 != nil {
					absScores(l.gradScore, p.g32)
				} else {
					absScores(l.gradScore, p.g64)
				}
			}
			if movement {
				if p.w32 != nil {
					copyToFloat64(l.prev, p.w32)
				} else {
					copyToFloat64(l.prev, p.w64)
				}
			}
		}
	}
}

func taylorScores[T float](dst []float64, w, g []T) {
	dst = dst[:len(w)]
	for i := range w {
		dst[i] = math.Abs(float64(w[i]) * float64(g[i]))
	}
}

// magnitudeScores writes |w| into dst, with -Inf for pruned weights (keep
// false) and +Inf for NaN weights, as elementScores does for the other
// criteria.
func magnitudeScores[T float](dst []float64, w []T, keep []bool) {
	const posInf, negInf = 0x7ff0000000000000, 0xfff0000000000000
	dst = dst[:len(w)]
	keep = keep[:len(w)]
	for i, v := range w {
		a := math.Abs(float64(v))
		b := math.Float64bits(a)
		nan := -uint64(boolToUint8(a != a))
		b = b&^nan | posInf&nan
		pruned := uint64(boolToUint8(keep[i])) - 1
		b = b&^pruned | negInf&pruned
		dst[i] = math.Float64frombits(b)
	}
}

func absScores[T float](dst []float64, g []T) {
	dst = dst[:len(g)]
	for i, v := range g {
		dst[i] = math.Abs(float64(v))
	}
}

// accumulateMovement adds this step's movement to the movement scores.
func (s *Solver) accumulateMovement() {
	for _, g := range s.groups {
		if _, ok := g.crit.(Movement); !ok {
			continue
		}
		for _, l := range g.layers {
			p := &s.params[l.param]
			if p.w32 != nil {
				accumulateMovement(l.movement, l.prev, p.w32)
			} else {
				accumulateMovement(l.movement, l.prev, p.w64)
			}
		}
	}
}

// updateMasks runs the mask updates and regrowths planned for step t and
// returns whether any ran and how many mask entries they changed.
func (s *Solver) updateMasks(t int) (bool, int) {
	updated, flips := false, 0
	for _, g := range s.groups {
		if !g.pendingUpdate && !g.pendingRegrow {
			continue
		}
		// The moments of pruned weights followed their gradients, which
		// the inner solvers of this package do not mask. Zeroing them
		// before the masks change starts a weight that comes back afresh.
		s.resetPrunedMoments(g)
		if g.pendingUpdate {
			flips += s.prune(g)
		} else {
			flips += s.regrowGroup(g, t)
		}
		updated = true
	}
	return updated, flips
}

// resetPrunedMoments zeros the inner solver's moments of every pruned
// weight of the groups given. Save does it for all groups first, so a
// checkpoint contains no moment that only a pruned weight uses. Zeroing
// them changes no result: they move only their own weight, which
// the mask holds at 0, until the next mask update zeros them.
func (s *Solver) resetPrunedMoments(groups ...*pruneGroup) {
	r, ok := s.inner.(momentResetter)
	if !ok || !s.bound {
		return
	}
	for _, g := range groups {
		for _, l := range g.layers {
			if l.masked() {
				r.resetPruned(l.param, l.keep)
			}
		}
	}
}

// elementScores writes the criterion's score of every weight of l into
// dst, with -Inf for weights already pruned and +Inf for NaN scores.
func (s *Solver) elementScores(g *pruneGroup, l *layer, dst []float64) {
	p := &s.params[l.param]
	switch g.crit.(type) {
	case Magnitude:
		// magnitudeScores also does the work of the loop below.
		if p.w32 != nil {
			magnitudeScores(dst, p.w32, l.keep)
		} else {
			magnitudeScores(dst, p.w64, l.keep)
		}
		return
	case Random:
		for i := range dst {
			dst[i] = s.rand.Float64()
		}
	case Movement:
		copy(dst, l.movement)
	case Taylor:
		copy(dst, l.gradScore)
	}
	for i, v := range dst {
		switch {
		case !l.keep[i]:
			dst[i] = math.Inf(-1)
		case math.IsNaN(v):
			dst[i] = math.Inf(1)
		}
	}
}

// prune recomputes the masks of g for its pending target and returns the
// number of mask entries changed.
func (s *Solver) prune(g *pruneGroup) int {
	target := g.pendingTarget
	if nm, ok := g.structure.(NM); ok {
		flips := 0
		for _, l := range g.layers {
			s.elementScores(g, l, l.elScores)
			flips += s.pruneNM(nm, l, target)
		}
		g.target, g.updated = target, true
		return flips
	}

	for _, l := range g.layers {
		unitScores := g.scores[l.offset : l.offset+l.units]
		if s.rankKeys(g, l) {
			continue // scored by selectLayer
		}
		if l.unitOf == nil {
			s.elementScores(g, l, unitScores)
			continue
		}
		s.elementScores(g, l, l.elScores)
		clear(unitScores)
		for i, v := range l.elScores {
			unitScores[l.unitOf[i]] += v
		}
	}

	switch g.alloc {
	case Global:
		protected := 0
		if !g.allowEmpty {
			for _, l := range g.layers {
				protected += protectFloor(l, g.scores[l.offset:l.offset+l.units])
			}
		}
		k := min(roundCount(target, g.units), g.units-protected)
		SelectSmallest(g.scores, k, g.scratch, g.pruned)
	default:
		if g.alloc == ERK {
			erkCounts(g, target)
		}
		for j, l := range g.layers {
			k := roundCount(target, l.units)
			if g.alloc == ERK {
				k = g.counts[j]
			}
			s.selectLayer(g, l, k)
		}
	}

	flips := 0
	for _, l := range g.layers {
		flips += s.applyUnits(l, g.pruned[l.offset:l.offset+l.units])
	}
	g.target, g.updated = target, true
	return flips
}

// rankKeys reports whether the units of l are ranked by the uint32 keys
// of magnitudeKeys32 rather than by float64 scores: magnitude pruning of
// a float32 weight, by element, layer by layer.
func (s *Solver) rankKeys(g *pruneGroup, l *layer) bool {
	_, magnitude := g.crit.(Magnitude)
	return magnitude && g.keys != nil && l.unitOf == nil && s.params[l.param].w32 != nil
}

// selectLayer marks in g.pruned the k units of l to prune, on their own.
func (s *Solver) selectLayer(g *pruneGroup, l *layer, k int) {
	lo, hi := l.offset, l.offset+l.units
	if s.rankKeys(g, l) {
		magnitudeKeys32(g.keys[lo:hi], s.params[l.param].w32, l.keep, g.hist)
		selectSmallestKeys(g.keys[lo:hi], k, g.hist, g.pruned[lo:hi])
		return
	}
	SelectSmallest(g.scores[lo:hi], k, g.scratch[lo:hi], g.pruned[lo:hi])
}

// protectFloor gives +Inf to the best unit of a layer, or, for
// unstructured layers, to the best weight of each output unit, so that
// Global pruning never empties them. It returns the number protected.
// Ties go to the lower index.
func protectFloor(l *layer, scores []float64) int {
	if l.outer == nil {
		best := 0
		for u, v := range scores {
			if v > scores[best] {
				best = u
			}
		}
		scores[best] = math.Inf(1)
		return 1
	}
	for o := range l.best {
		l.best[o] = -1
	}
	for i, v := range scores {
		o := l.outer[i]
		if b := l.best[o]; b < 0 || v > scores[b] {
			l.best[o] = i
		}
	}
	n := 0
	for _, b := range l.best {
		if b >= 0 {
			scores[b] = math.Inf(1)
			n++
		}
	}
	return n
}

// applyUnits sets the mask of l from the pruned units, zeros the pruned
// weights and returns the number of mask entries changed.
func (s *Solver) applyUnits(l *layer, pruned []bool) int {
	if l.unitOf == nil {
		return s.applyElements(l, pruned)
	}
	flips, count := 0, 0
	for i := range l.keep {
		keep := !pruned[l.unitOf[i]]
		flips += int(boolToUint8(s.setKeep(l, i, keep)))
		count += int(boolToUint8(!keep))
	}
	l.pruned, l.flips = count, flips
	return flips
}

// applyElements is applyUnits for a layer whose units are its elements.
// It sets the mask in one branch-free pass and zeros the pruned weights
// in a second.
func (s *Solver) applyElements(l *layer, pruned []bool) int {
	keep := l.keep
	pruned = pruned[:len(keep)]
	// Eight entries at a time: each bool is one byte, 0 or 1.
	kb, pb := boolBytes(keep), boolBytes(pruned)
	const ones = 0x0101010101010101
	flips, count, i := 0, 0, 0
	for ; i+8 <= len(kb); i += 8 {
		old := binary.LittleEndian.Uint64(kb[i:])
		p := binary.LittleEndian.Uint64(pb[i:])
		k := p ^ ones
		flips += bits.OnesCount64(old ^ k)
		count += bits.OnesCount64(p)
		binary.LittleEndian.PutUint64(kb[i:], k)
	}
	for ; i < len(keep); i++ {
		k := !pruned[i]
		flips += int(boolToUint8(k != keep[i]))
		count += int(boolToUint8(pruned[i]))
		keep[i] = k
	}
	if p := &s.params[l.param]; p.w32 != nil {
		applyMask(p.w32, keep)
	} else {
		applyMask(p.w64, keep)
	}
	l.pruned, l.flips = count, flips
	return flips
}

// boolBytes returns the bytes of b, each 0 or 1.
func boolBytes(b []bool) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(b))), len(b))
}

// setKeep sets mask entry i of l, zeros the weight when it is pruned, and
// reports whether the entry changed.
func (s *Solver) setKeep(l *layer, i int, keep bool) bool {
	changed := keep != l.keep[i]
	l.keep[i] = keep
	if !keep {
		if p := &s.params[l.param]; p.w32 != nil {
			p.w32[i] = 0
		} else {
			p.w64[i] = 0
		}
	}
	return changed
}

// pruneNM prunes min(round(s·M), M−N) weights of every run of M along the
// axis: the lowest scores, ties to the lower position.
func (s *Solver) pruneNM(nm NM, l *layer, target float64) int {
	z := min(roundCount(target, nm.M), nm.M-nm.N)
	flips, count := 0, 0
	scores := l.elScores
	order := l.runOrder
	nmRuns(nm, l.shape, func(first, stride int) {
		for j := range order {
			order[j] = first + j*stride
		}
		// Selection sort of the z lowest scores to the front of order.
		for a := 0; a < z; a++ {
			best := a
			for b := a + 1; b < len(order); b++ {
				if scores[order[b]] < scores[order[best]] ||
					(scores[order[b]] == scores[order[best]] && order[b] < order[best]) {
					best = b
				}
			}
			order[a], order[best] = order[best], order[a]
		}
		for j, i := range order {
			keep := j >= z
			flips += int(boolToUint8(s.setKeep(l, i, keep)))
			count += int(boolToUint8(!keep))
		}
	})
	l.pruned, l.flips = count, flips
	return flips
}

// erkCounts fills g.counts with the pruned units of each layer for target
// s under ERK allocation. Layer l gets density ε·erkₗ, with one ε for the
// group, and layers whose density would exceed 1 stay dense. The total
// round(s·N) is apportioned by largest remainder, ties going to the lower
// layer index.
func erkCounts(g *pruneGroup, target float64) {
	for j, l := range g.layers {
		sum, prod := 0.0, 1.0
		for _, d := range l.shape {
			sum += float64(d)
			prod *= float64(d)
		}
		g.erk[j] = sum / prod
		g.dense[j] = false
	}
	total := roundCount(target, g.units)
	keepTotal := float64(g.units - total)
	var eps float64
	for {
		rest, denom := keepTotal, 0.0
		for j, l := range g.layers {
			if g.dense[j] {
				rest -= float64(l.units)
			} else {
				denom += g.erk[j] * float64(l.units)
			}
		}
		if denom == 0 {
			eps = 0
			break
		}
		eps = rest / denom
		worst := -1
		for j := range g.layers {
			if !g.dense[j] && eps*g.erk[j] > 1 && (worst < 0 || g.erk[j] > g.erk[worst]) {
				worst = j
			}
		}
		if worst < 0 {
			break
		}
		g.dense[worst] = true
	}

	assigned := 0
	for j, l := range g.layers {
		if g.dense[j] {
			g.counts[j], g.erk[j] = 0, -1
			continue
		}
		ideal := float64(l.units) * (1 - eps*g.erk[j])
		ideal = min(max(ideal, 0), float64(l.units))
		g.counts[j] = int(math.Floor(ideal))
		g.erk[j] = ideal - math.Floor(ideal) // remainder
		assigned += g.counts[j]
	}
	for assigned < total {
		best := -1
		for j, l := range g.layers {
			if g.counts[j] < l.units && g.erk[j] >= 0 && (best < 0 || g.erk[j] > g.erk[best]) {
				best = j
			}
		}
		if best < 0 {
			break
		}
		g.counts[best]++
		g.erk[best] = -1
		assigned++
	}
	for assigned > total {
		for j := len(g.layers) - 1; j >= 0 && assigned > total; j-- {
			if g.counts[j] > 0 {
				g.counts[j]--
				assigned--
			}
		}
	}
}
