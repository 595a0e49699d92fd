package repro

import (
	"encoding/json"
	"math"
	"os"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/experiments/datasets"
	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
	"github.com/regsched/regsched/solvers"
)

// LassoPoint is one Lasso solution: the coefficients minimising
// (1/(2n))·‖y − Xw‖² + Alpha·‖w‖₁, their objective value and the number
// of coefficients that are not zero.
type LassoPoint struct {
	Alpha     float64   `json:"alpha"`
	Coef      []float64 `json:"coef"`
	Objective float64   `json:"objective"`
	Nonzero   int       `json:"nonzero"`
}

// LassoReference is a set of reference Lasso solutions on one data set:
// single fits and a regularization path ordered by decreasing alpha.
type LassoReference struct {
	N    int          `json:"n"`
	Fits []LassoPoint `json:"fits"`
	Path []LassoPoint `json:"path"`
}

// LoadLassoReference reads reference solutions from a JSON file with
// the fields of LassoReference.
func LoadLassoReference(path string) (*LassoReference, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "repro: LoadLassoReference")
	}
	return parseLassoReference(path, b)
}

// parseLassoReference decodes the JSON of a Lasso reference; path names
// it in messages.
func parseLassoReference(path string, b []byte) (*LassoReference, error) {
	var ref LassoReference
	if err := json.Unmarshal(b, &ref); err != nil {
		return nil, errors.Wrapf(err, "repro: LoadLassoReference: parsing %s", path)
	}
	if len(ref.Fits) == 0 && len(ref.Path) == 0 {
		return nil, errors.Errorf("repro: LoadLassoReference: %s contains no solutions", path)
	}
	return &ref, nil
}

// LassoObjective returns (1/(2n))·‖y − Xw‖² + alpha·‖w‖₁ on d.
func LassoObjective(d *datasets.Set, w []float64, alpha float64) float64 {
	var sq float64
	for i := 0; i < d.Rows; i++ {
		r := d.Y[i]
		for j, x := range d.Row(i) {
			r -= x * w[j]
		}
		sq += r * r
	}
	var l1 float64
	for _, v := range w {
		l1 += math.Abs(v)
	}
	return sq/(2*float64(d.Rows)) + alpha*l1
}

// countNonzero returns how many values are not exactly zero.
func countNonzero(w []float64) int {
	var k int
	for _, v := range w {
		if v != 0 {
			k++
		}
	}
	return k
}

// holdSchedule is λ(t) = Values[t/Hold], holding the last value after
// the end: a regularization path as a piecewise-constant schedule.
type holdSchedule struct {
	Values []float64
	Hold   int
}

func (s holdSchedule) At(step int) float64 {
	k := step / s.Hold
	if k >= len(s.Values) {
		k = len(s.Values) - 1
	}
	return s.Values[k]
}

// gramMaxEigen returns the largest eigenvalue of XᵀX/n, the Lipschitz
// constant of the gradient of (1/(2n))·‖y − Xw‖².
func gramMaxEigen(d *datasets.Set) (float64, error) {
	x := mat.NewDense(d.Rows, d.Features, d.X)
	var gram mat.SymDense
	gram.SymOuterK(1/float64(d.Rows), x.T())
	var eig mat.EigenSym
	if !eig.Factorize(&gram, false) {
		return 0, errors.New("repro: eigen-decomposition of XᵀX/n failed")
	}
	vals := eig.Values(nil)
	return vals[len(vals)-1], nil
}

// LassoPath sweeps a Lasso regularization path the way a schedule on λ
// would during training. A linear model y ≈ Xw (no intercept, w starting
// at 0) is trained by full-batch gradient descent on (1/(2n))·‖y − Xw‖².
// solvers.Wrap applies the proximal step of λ(t)·‖w‖₁, where λ holds
// each alpha for stepsPerAlpha steps in the given order. The step
// size is 1/L with L the largest eigenvalue of XᵀX/n, so each hold is
// proximal gradient descent (ISTA) warm-started from the previous alpha.
// It returns the coefficients at the end of each hold. The cost is
// len(alphas)·stepsPerAlpha full-batch steps of O(n·p) each.
func LassoPath(d *datasets.Set, alphas []float64, stepsPerAlpha int) ([]LassoPoint, error) {
	if len(alphas) == 0 {
		return nil, errors.New("repro: LassoPath: no alphas")
	}
	for i, a := range alphas {
		if !(a >= 0) || math.IsInf(a, 0) {
			return nil, errors.Errorf("repro: LassoPath: alpha %d is %v, want a finite value ≥ 0", i, a)
		}
	}
	if stepsPerAlpha <= 0 {
		return nil, errors.Errorf("repro: LassoPath: stepsPerAlpha (%d) must be positive", stepsPerAlpha)
	}
	lipschitz, err := gramMaxEigen(d)
	if err != nil {
		return nil, err
	}

	n, p := d.Rows, d.Features
	g := gorgonia.NewGraph()
	x := gorgonia.NewConstant(tensor.New(tensor.WithShape(n, p),
		tensor.WithBacking(append([]float64(nil), d.X...))), gorgonia.WithName("X"))
	y := gorgonia.NewConstant(tensor.New(tensor.WithShape(n),
		tensor.WithBacking(append([]float64(nil), d.Y...))), gorgonia.WithName("y"))
	w := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(p), gorgonia.WithName("w"),
		gorgonia.WithInit(gorgonia.Zeroes()))
	loss, err := leastSquares(x, y, w, n)
	if err != nil {
		return nil, err
	}

	reg := graphs.NewRegularizer(g)
	sched := holdSchedule{Values: alphas, Hold: stepsPerAlpha}
	if err := reg.Add(w, ops.L1{}, sched, graphs.WithMode(graphs.Proximal),
		graphs.WithName("lambda")); err != nil {
		return nil, errors.Wrap(err, "repro: LassoPath")
	}
	cost, err := reg.Augment(loss)
	if err != nil {
		return nil, errors.Wrap(err, "repro: LassoPath")
	}
	if _, err := gorgonia.Grad(cost, w); err != nil {
		return nil, errors.Wrap(err, "repro: LassoPath")
	}
	solver, err := solvers.Wrap(gorgonia.NewVanillaSolver(),
		solvers.WithLearnRate(1/lipschitz), solvers.WithRegularizer(reg))
	if err != nil {
		return nil, errors.Wrap(err, "repro: LassoPath")
	}
	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(w))
	defer vm.Close()

	var path []LassoPoint
	for k, alpha := range alphas {
		for s := 0; s < stepsPerAlpha; s++ {
			if err := vm.RunAll(); err != nil {
				return nil, errors.Wrapf(err, "repro: LassoPath: alpha %v", alpha)
			}
			if err := solver.Step(gorgonia.NodesToValueGrads(gorgonia.Nodes{w})); err != nil {
				return nil, errors.Wrapf(err, "repro: LassoPath: alpha %v", alpha)
			}
			vm.Reset()
		}
		coef := append([]float64(nil), w.Value().Data().([]float64)...)
		path = append(path, LassoPoint{Alpha: alphas[k], Coef: coef,
			Objective: LassoObjective(d, coef, alpha), Nonzero: countNonzero(coef)})
	}
	return path, nil
}

// leastSquares returns the node (1/(2n))·‖y − Xw‖².
func leastSquares(x, y, w *gorgonia.Node, n int) (*gorgonia.Node, error) {
	pred, err := gorgonia.Mul(x, w)
	if err != nil {
		return nil, errors.Wrap(err, "repro: least squares")
	}
	resid, err := gorgonia.Sub(pred, y)
	if err != nil {
		return nil, errors.Wrap(err, "repro: least squares")
	}
	sq, err := gorgonia.Square(resid)
	if err != nil {
		return nil, errors.Wrap(err, "repro: least squares")
	}
	sum, err := gorgonia.Sum(sq)
	if err != nil {
		return nil, errors.Wrap(err, "repro: least squares")
	}
	return gorgonia.Mul(sum, gorgonia.NewConstant(1/(2*float64(n))))
}

// residualCorrelation returns |X_jᵀ(y − Xw)|/n for every feature j.
func residualCorrelation(d *datasets.Set, w []float64) []float64 {
	out := make([]float64, d.Features)
	for i := 0; i < d.Rows; i++ {
		row := d.Row(i)
		r := d.Y[i]
		for j, x := range row {
			r -= x * w[j]
		}
		for j, x := range row {
			out[j] += x * r
		}
	}
	for j := range out {
		out[j] = math.Abs(out[j]) / float64(d.Rows)
	}
	return out
}

// LassoComparison is one of our solutions next to the reference at the
// same alpha.
type LassoComparison struct {
	Alpha        float64   `json:"alpha"`
	Objective    float64   `json:"objective"`
	RefObjective float64   `json:"ref_objective"` // evaluated from the reference coefficients
	RelGap       float64   `json:"rel_gap"`       // (ours − reference) / reference
	Nonzero      int       `json:"nonzero"`
	RefNonzero   int       `json:"ref_nonzero"`
	SameSupport  bool      `json:"same_support"`
	MaxCoefDiff  float64   `json:"max_coef_diff"`
	Coef         []float64 `json:"coef"`
	RefCoef      []float64 `json:"ref_coef"`
	// RefCorrelation is |X_jᵀ(y − X·RefCoef)|/n for each coefficient j.
	// At a Lasso solution it equals Alpha where the coefficient is
	// non-zero and is at most Alpha where it is zero. A zero coefficient
	// whose value equals Alpha sits on the boundary, where rounding
	// decides whether a solver leaves it at zero.
	RefCorrelation []float64 `json:"ref_correlation"`
}

// CompareLasso pairs each solution with the reference of the same index.
func CompareLasso(d *datasets.Set, ours, ref []LassoPoint) ([]LassoComparison, error) {
	if len(ours) != len(ref) {
		return nil, errors.Errorf("repro: CompareLasso: %d solutions, %d references", len(ours), len(ref))
	}
	var out []LassoComparison
	for i, p := range ours {
		r := ref[i]
		if p.Alpha != r.Alpha || len(p.Coef) != len(r.Coef) {
			return nil, errors.Errorf("repro: CompareLasso: solution %d is for alpha %v with %d "+
				"coefficients, reference for %v with %d", i, p.Alpha, len(p.Coef), r.Alpha, len(r.Coef))
		}
		c := LassoComparison{Alpha: p.Alpha, Objective: p.Objective,
			RefObjective: LassoObjective(d, r.Coef, r.Alpha), Nonzero: p.Nonzero,
			RefNonzero: countNonzero(r.Coef), SameSupport: true, Coef: p.Coef, RefCoef: r.Coef}
		c.RelGap = (c.Objective - c.RefObjective) / c.RefObjective
		c.RefCorrelation = residualCorrelation(d, r.Coef)
		for j := range p.Coef {
			if (p.Coef[j] != 0) != (r.Coef[j] != 0) {
				c.SameSupport = false
			}
			c.MaxCoefDiff = math.Max(c.MaxCoefDiff, math.Abs(p.Coef[j]-r.Coef[j]))
		}
		out = append(out, c)
	}
	return out, nil
}
