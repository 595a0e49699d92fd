package solvers

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
)

// readGzipTable reads a gzipped file of space-separated numbers.
func readGzipTable(t *testing.T, path string) [][]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]float64
	sc := bufio.NewScanner(z)
	for sc.Scan() {
		var row []float64
		for _, field := range strings.Fields(sc.Text()) {
			v, err := strconv.ParseFloat(field, 64)
			if err != nil {
				t.Fatal(err)
			}
			row = append(row, v)
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// diabetes returns the features standardized to mean 0 and population
// standard deviation 1, and the centered target, as the reference fits
// were computed.
func diabetes(t *testing.T) (x []float64, y []float64, n, d int) {
	rows := readGzipTable(t, "../testdata/diabetes_data_raw.csv.gz")
	target := readGzipTable(t, "../testdata/diabetes_target.csv.gz")
	n, d = len(rows), len(rows[0])
	x = make([]float64, n*d)
	for j := 0; j < d; j++ {
		var mean, sq float64
		for i := 0; i < n; i++ {
			mean += rows[i][j]
		}
		mean /= float64(n)
		for i := 0; i < n; i++ {
			sq += (rows[i][j] - mean) * (rows[i][j] - mean)
		}
		sd := math.Sqrt(sq / float64(n))
		for i := 0; i < n; i++ {
			x[i*d+j] = (rows[i][j] - mean) / sd
		}
	}
	y = make([]float64, n)
	var mean float64
	for i := range y {
		y[i] = target[i][0]
		mean += y[i]
	}
	mean /= float64(n)
	for i := range y {
		y[i] -= mean
	}
	return x, y, n, d
}

func lassoObjective(x, y, w []float64, n, d int, alpha float64) float64 {
	var loss, l1 float64
	for i := 0; i < n; i++ {
		r := y[i]
		for j := 0; j < d; j++ {
			r -= x[i*d+j] * w[j]
		}
		loss += r * r
	}
	for _, v := range w {
		l1 += math.Abs(v)
	}
	return loss/(2*float64(n)) + alpha*l1
}

// TestProximalL1MatchesLasso trains proximal L1 through a Regularizer and
// Wrap (Vanilla SGD, full batch, η = 1/L with L the largest eigenvalue of
// XᵀX/n) on the standardized diabetes data and compares with scikit-learn
// 1.2.1's Lasso solutions: objective within 1e-6 relative, same support.
func TestProximalL1MatchesLasso(t *testing.T) {
	var golden struct {
		Fits []struct {
			Alpha     float64   `json:"alpha"`
			Coef      []float64 `json:"coef"`
			Objective float64   `json:"objective"`
			Nonzero   int       `json:"nonzero"`
		} `json:"fits"`
	}
	raw, err := os.ReadFile("../testdata/golden/lasso_diabetes.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	x, y, n, d := diabetes(t)

	var eig mat.EigenSym
	xm := mat.NewDense(n, d, x)
	var gram mat.SymDense
	gram.SymOuterK(1/float64(n), xm.T())
	if !eig.Factorize(&gram, false) {
		t.Fatal("eigendecomposition failed")
	}
	values := eig.Values(nil)
	eta := 1 / values[len(values)-1]

	for i, fit := range golden.Fits {
		g := gorgonia.NewGraph()
		xn := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(n, d), gorgonia.WithName("x"),
			gorgonia.WithValue(tensor.New(tensor.WithShape(n, d), tensor.WithBacking(x))))
		yn := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(n), gorgonia.WithName("y"),
			gorgonia.WithValue(tensor.New(tensor.WithShape(n), tensor.WithBacking(y))))
		w := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(d), gorgonia.WithName("w"),
			gorgonia.WithInit(gorgonia.Zeroes()))
		resid := gorgonia.Must(gorgonia.Sub(yn, gorgonia.Must(gorgonia.Mul(xn, w))))
		loss := gorgonia.Must(gorgonia.Div(gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Square(resid)))),
			gorgonia.NewConstant(float64(2*n))))

		reg := graphs.NewRegularizer(g)
		if err := reg.Add(w, ops.L1{}, constant(fit.Alpha)); err != nil {
			t.Fatal(err)
		}
		cost, err := reg.Augment(loss)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := gorgonia.Grad(cost, w); err != nil {
			t.Fatal(err)
		}
		vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(w))
		s, err := Wrap(gorgonia.NewVanillaSolver(), WithLearnRate(eta), WithRegularizer(reg))
		if err != nil {
			t.Fatal(err)
		}
		vgs := gorgonia.NodesToValueGrads(gorgonia.Nodes{w})
		coef := w.Value().(*tensor.Dense).Float64s()
		obj, steps := math.Inf(1), 0
		// Stop when 100 more steps improve the objective by less than
		// 1e-12 relative, far below the 1e-6 tolerance.
		for ; steps < 50000; steps++ {
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			vm.Reset()
			if err := s.Step(vgs); err != nil {
				t.Fatal(err)
			}
			if steps%100 == 99 {
				next := lassoObjective(x, y, coef, n, d, fit.Alpha)
				if obj-next <= 1e-12*next {
					obj = next
					break
				}
				obj = next
			}
		}
		vm.Close()
		t.Logf("α=%v: %d steps", fit.Alpha, steps+1)
		if rel := math.Abs(obj-fit.Objective) / fit.Objective; rel > 1e-6 {
			t.Errorf("case %d (α=%v): objective %v, scikit-learn %v (relative %.2g)",
				i, fit.Alpha, obj, fit.Objective, rel)
		}
		for j := range coef {
			if (coef[j] != 0) != (fit.Coef[j] != 0) {
				t.Errorf("case %d (α=%v): coefficient %d is %v, scikit-learn %v",
					i, fit.Alpha, j, coef[j], fit.Coef[j])
			}
		}
	}
}
