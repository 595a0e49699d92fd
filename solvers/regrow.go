package solvers

import (
	"math"

	"github.com/pkg/errors"
)

// SET is drop-and-grow regrowth with random growth (Mocanu et al. 2018).
// Every Every steps before End, each pruned parameter drops the fraction
// f(t) of its kept weights with the smallest |w|, at most as many as it
// has pruned, and grows as many pruned weights chosen at random. f(t) = DropFraction·(1+cos(π·t/End))/2 decays
// to 0 at End (the cosine decay of RigL). Grown weights start at 0, and
// the number of pruned weights does not change.
type SET struct {
	Every        int     // steps between updates (0 means 100)
	End          int     // the step where regrowth stops (required)
	DropFraction float64 // fraction at step 0 (0 means 0.3)
}

// RigL is drop-and-grow regrowth that grows the pruned weights of largest
// gradient magnitude (Evci et al. 2020), read before the inner step. Its
// fields mean what they mean for SET. Weights dropped at an update are not
// grown back at the same update. When the inner solver is one of this
// package's, the moments of grown weights are reset to 0.
type RigL struct {
	Every        int
	End          int
	DropFraction float64
}

// Regrowth is a drop-and-grow rule for WithRegrowth: SET or RigL.
type Regrowth interface {
	due(t int) bool
	fraction(t int) float64
	random() bool
}

func (r SET) due(t int) bool          { return t > 0 && t < r.End && t%r.Every == 0 }
func (r SET) fraction(t int) float64  { return cosineDecay(r.DropFraction, t, r.End) }
func (SET) random() bool              { return true }
func (r RigL) due(t int) bool         { return t > 0 && t < r.End && t%r.Every == 0 }
func (r RigL) fraction(t int) float64 { return cosineDecay(r.DropFraction, t, r.End) }
func (RigL) random() bool             { return false }

func cosineDecay(f0 float64, t, end int) float64 {
	return f0 / 2 * (1 + math.Cos(math.Pi*float64(t)/float64(end)))
}

// WithRegrowth adds SET or RigL drop-and-grow to a pruning group. It
// needs Unstructured pruning. Regrowth does not run at steps where the
// sparsity target updates the masks.
func WithRegrowth(r Regrowth) PruneOption {
	return func(g *pruneGroup) error {
		every, end, frac := 0, 0, 0.0
		switch r := r.(type) {
		case SET:
			every, end, frac = r.Every, r.End, r.DropFraction
		case RigL:
			every, end, frac = r.Every, r.End, r.DropFraction
		default:
			return errors.Errorf("solvers: WithRegrowth: %T is not SET or RigL", r)
		}
		if every == 0 {
			every = 100
		}
		if frac == 0 {
			frac = 0.3
		}
		switch {
		case every < 0:
			return errors.Errorf("solvers: WithRegrowth: Every (%d) is negative", every)
		case end <= 0:
			return errors.Errorf("solvers: WithRegrowth: End (%d) is not positive", end)
		case !(frac > 0 && frac <= 1):
			return errors.Errorf("solvers: WithRegrowth: DropFraction (%v) is outside (0, 1]",
				frac)
		}
		switch r.(type) {
		case SET:
			g.regrow = SET{Every: every, End: end, DropFraction: frac}
		case RigL:
			g.regrow = RigL{Every: every, End: end, DropFraction: frac}
		}
		return nil
	}
}

// momentResetter is an inner solver that can forget the moments of some
// weights of parameter i: those reset marks, or those keep rejects.
type momentResetter interface {
	resetMoments(i int, reset []bool)
	resetPruned(i int, keep []bool)
}

// regrowGroup drops and grows weights of every layer of g at step t and
// returns the number of mask entries changed.
func (s *Solver) regrowGroup(g *pruneGroup, t int) int {
	f := g.regrow.fraction(t)
	flips := 0
	for _, l := range g.layers {
		active := l.size - l.pruned
		d := min(roundCount(f, active), l.pruned)
		lo, hi := l.offset, l.offset+l.units
		scores, scratch := g.scores[lo:hi], g.scratch[lo:hi]
		dropped, grown := g.pruned[lo:hi], g.grown[lo:hi]
		if d == 0 {
			l.flips = 0
			continue
		}
		p := &s.params[l.param]

		// Drop the kept weights of smallest magnitude.
		// NOTE: a NaN weight gives a NaN score, which SelectSmallest does
		// not accept. It may then mark fewer than d weights, so the number
		// of pruned weights can change.
		if p.w32 != nil {
			absScores(scores, p.w32)
		} else {
			absScores(scores, p.w64)
		}
		for i := range scores {
			if !l.keep[i] {
				scores[i] = math.Inf(1)
			}
		}
		SelectSmallest(scores, d, scratch, dropped)

		// Grow the pruned weights of largest score. Dropped ones wait.
		for i := range scores {
			switch {
			case l.keep[i]:
				scores[i] = math.Inf(1)
			case g.regrow.random():
				scores[i] = -s.rand.Float64()
			default:
				scores[i] = -l.gradScore[i]
			}
		}
		SelectSmallest(scores, d, scratch, grown)

		for i := range l.keep {
			switch {
			case dropped[i]:
				l.keep[i] = false
			case grown[i]:
				l.keep[i] = true
			default:
				continue
			}
			if p.w32 != nil {
				p.w32[i] = 0
			} else {
				p.w64[i] = 0
			}
		}
		if r, ok := s.inner.(momentResetter); ok {
			r.resetMoments(l.param, grown)
		}
		l.flips = 2 * d
		flips += 2 * d
	}
	return flips
}
