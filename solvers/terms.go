package solvers

import "github.com/regsched/regsched/ops"

// isL1 reports whether t is the plain L1 norm, whose prox the solver runs
// as a fused soft-threshold and mask pass. The result equals ops.L1.Prox.
func isL1(t ops.Term) bool {
	_, ok := t.(ops.L1)
	return ok
}

// quickValue returns R(w) from Σ|w| and Σw² when t is L1 (‖w‖₁) or L2
// (½‖w‖²₂).
func quickValue(t ops.Term, abs, sq float64) (float64, bool) {
	switch t.(type) {
	case ops.L1:
		return abs, true
	case ops.L2:
		return sq / 2, true
	}
	return 0, false
}
