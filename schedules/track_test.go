package schedules

import (
	"bufio"
	"compress/gzip"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// scanGzip returns a line scanner over a gzip-compressed file, closed
// when the test ends.
func scanGzip(t *testing.T, path string) *bufio.Scanner {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return bufio.NewScanner(z)
}

// standardize scales every column of x to mean 0 and population standard
// deviation 1, in place.
func standardize(x [][]float64) {
	n := float64(len(x))
	for j := range x[0] {
		var mean, sq float64
		for i := range x {
			mean += x[i][j]
		}
		mean /= n
		for i := range x {
			sq += (x[i][j] - mean) * (x[i][j] - mean)
		}
		sd := math.Sqrt(sq / n)
		for i := range x {
			x[i][j] = (x[i][j] - mean) / sd
		}
	}
}

// readGzipTable reads a gzip-compressed file of space-separated numbers.
func readGzipTable(t *testing.T, path string) [][]float64 {
	t.Helper()
	var rows [][]float64
	sc := scanGzip(t, path)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		row := make([]float64, len(fields))
		for j, s := range fields {
			var err error
			if row[j], err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// diabetes returns the diabetes data (Efron et al. 2004, as shipped by
// scikit-learn) with every feature standardized to mean 0 and population
// standard deviation 1, and the target centered.
func diabetes(t *testing.T) (x [][]float64, y []float64) {
	x = readGzipTable(t, "../testdata/diabetes_data_raw.csv.gz")
	for _, row := range readGzipTable(t, "../testdata/diabetes_target.csv.gz") {
		y = append(y, row[0])
	}
	if len(x) != 442 || len(y) != 442 || len(x[0]) != 10 {
		t.Fatalf("diabetes: got %d×%d features and %d targets, want 442×10 and 442",
			len(x), len(x[0]), len(y))
	}
	standardize(x)
	n := float64(len(x))
	var mean float64
	for _, v := range y {
		mean += v
	}
	mean /= n
	for i := range y {
		y[i] -= mean
	}
	return x, y
}

// lasso runs proximal gradient descent (ISTA) on
// (1/(2n))·‖y − Xw‖² + λ‖w‖₁ with step 1/L.
type lasso struct {
	x    [][]float64
	y    []float64
	w    []float64
	step float64
}

func newLasso(x [][]float64, y []float64) *lasso {
	l := &lasso{x: x, y: y, w: make([]float64, len(x[0]))}
	l.step = 1 / l.lipschitz()
	return l
}

// lipschitz estimates the largest eigenvalue of XᵀX/n by power iteration.
func (l *lasso) lipschitz() float64 {
	d := len(l.x[0])
	v := make([]float64, d)
	for j := range v {
		v[j] = 1
	}
	var norm float64
	for it := 0; it < 200; it++ {
		next := make([]float64, d)
		for _, row := range l.x {
			var dot float64
			for j, xj := range row {
				dot += xj * v[j]
			}
			for j, xj := range row {
				next[j] += xj * dot / float64(len(l.x))
			}
		}
		norm = 0
		for _, u := range next {
			norm += u * u
		}
		norm = math.Sqrt(norm)
		for j := range v {
			v[j] = next[j] / norm
		}
	}
	return norm
}

// iterate takes one ISTA step with strength lambda and returns the
// fraction of zero coefficients.
func (l *lasso) iterate(lambda float64) float64 {
	n := float64(len(l.x))
	grad := make([]float64, len(l.w))
	for i, row := range l.x {
		r := -l.y[i]
		for j, xj := range row {
			r += xj * l.w[j]
		}
		for j, xj := range row {
			grad[j] += xj * r / n
		}
	}
	zeros := 0
	threshold := l.step * lambda
	for j := range l.w {
		v := l.w[j] - l.step*grad[j]
		switch {
		case v > threshold:
			l.w[j] = v - threshold
		case v < -threshold:
			l.w[j] = v + threshold
		default:
			l.w[j] = 0
			zeros++
		}
	}
	return float64(zeros) / float64(len(l.w))
}

// TestTrackLassoSparsity checks that target tracking steers the L1
// strength of a real lasso fit so that its sparsity follows a target
// staircase: within 0.01 at every step from settle steps after each rise
// of the target until the next one, and at every step of the last
// quarter of training. With 10 coefficients the sparsity moves in steps
// of 0.1, so the target is a staircase on that grid.
func TestTrackLassoSparsity(t *testing.T) {
	x, y := diabetes(t)
	model := newLasso(x, y)
	spec := "track(constant(1), signal=sparsity, " +
		"target=steps(0, 300:0.2, 600:0.4, 900:0.6, 1200:0.7), kp=0.5, ki=0.1, " +
		"min=0.001, max=1000)"
	s, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	track := s.(*Track)
	rises := track.Target.(Steps).Points
	const steps, settle = 2000, 180
	misses, checked, lastRise := 0, 0, 0
	for step := 0; step < steps; step++ {
		sparsity := model.iterate(track.At(step))
		track.Update(step, map[string]float64{"sparsity": sparsity})
		target := track.Target.At(step)
		for _, p := range rises {
			if p.Step <= step {
				lastRise = p.Step
			}
		}
		if step%100 == 0 {
			t.Logf("step %d: sparsity %v, target %v, λ %v", step, sparsity, target,
				track.At(step))
		}
		if step-lastRise < settle && step < steps*3/4 {
			continue
		}
		checked++
		if math.Abs(sparsity-target) > 0.01 {
			misses++
			t.Errorf("step %d: sparsity %v, target %v, λ %v", step, sparsity, target,
				track.At(step))
		}
		if misses > 10 {
			t.FailNow()
		}
	}
	t.Logf("%d of %d steps checked, %d off target by more than 0.01", checked, steps, misses)
}
