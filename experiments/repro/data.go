package repro

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"io"
	"math"
	"math/rand"
	"os"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Dataset is a classification or regression set held in row-major order:
// sample i's features are X[i*Features : (i+1)*Features].
type Dataset struct {
	X        []float64
	Y        []float64 // class label (0, 1, ...) or regression target
	Features int
	Classes  int // 0 for regression
}

// Len returns the number of samples.
func (d *Dataset) Len() int { return len(d.Y) }

// Row returns sample i's features, aliasing d.X.
func (d *Dataset) Row(i int) []float64 { return d.X[i*d.Features : (i+1)*d.Features] }

// Subset returns a copy of the samples at the given indices.
func (d *Dataset) Subset(idx []int) *Dataset {
	s := &Dataset{
		X:        make([]float64, 0, len(idx)*d.Features),
		Y:        make([]float64, 0, len(idx)),
		Features: d.Features,
		Classes:  d.Classes,
	}
	for _, i := range idx {
		s.X = append(s.X, d.Row(i)...)
		s.Y = append(s.Y, d.Y[i])
	}
	return s
}

// Head returns a copy of the first n samples, or of all when n ≤ 0 or
// n exceeds the length.
func (d *Dataset) Head(n int) *Dataset {
	if n <= 0 || n > d.Len() {
		n = d.Len()
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return d.Subset(idx)
}

// openMaybeGzip opens path and decompresses it when the name ends in ".gz".
func openMaybeGzip(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, errors.Wrapf(err, "reading gzip header of %s", path)
	}
	return struct {
		io.Reader
		io.Closer
	}{z, f}, nil
}

const (
	idxImagesMagic = 2051
	idxLabelsMagic = 2049
)

// LoadIDX reads an IDX image file and its label file, each gzip-compressed
// when its name ends in ".gz". Pixels are scaled from 0–255 to [0, 1]; Classes is 10.
// The images file is magic 2051, count, rows, cols, then count·rows·cols
// bytes; the labels file is magic 2049, count, then count bytes, all
// integers big-endian.
func LoadIDX(imagesPath, labelsPath string) (*Dataset, error) {
	images, rows, cols, err := readIDXImages(imagesPath)
	if err != nil {
		return nil, err
	}
	labels, err := readIDXLabels(labelsPath)
	if err != nil {
		return nil, err
	}
	n := len(labels)
	if len(images) != n*rows*cols {
		return nil, errors.Errorf("repro: LoadIDX: %s contains %d images but %s contains %d labels",
			imagesPath, len(images)/(rows*cols), labelsPath, n)
	}
	d := &Dataset{X: make([]float64, len(images)), Y: make([]float64, n),
		Features: rows * cols, Classes: 10}
	for i, p := range images {
		d.X[i] = float64(p) / 255
	}
	for i, l := range labels {
		if l > 9 {
			return nil, errors.Errorf("repro: LoadIDX: label %d of %s is %d, want 0–9",
				i, labelsPath, l)
		}
		d.Y[i] = float64(l)
	}
	return d, nil
}

func readIDXImages(path string) (pixels []byte, rows, cols int, err error) {
	r, err := openMaybeGzip(path)
	if err != nil {
		return nil, 0, 0, errors.Wrap(err, "repro: LoadIDX")
	}
	defer r.Close()
	var hdr [4]uint32
	if err := binary.Read(r, binary.BigEndian, &hdr); err != nil {
		return nil, 0, 0, errors.Wrapf(err, "repro: LoadIDX: reading header of %s", path)
	}
	if hdr[0] != idxImagesMagic {
		return nil, 0, 0, errors.Errorf("repro: LoadIDX: magic of %s is %d, want %d",
			path, hdr[0], idxImagesMagic)
	}
	n, rows, cols := int(hdr[1]), int(hdr[2]), int(hdr[3])
	if rows == 0 || cols == 0 || n*rows*cols > 1<<31 {
		return nil, 0, 0, errors.Errorf("repro: LoadIDX: invalid size %d×%d×%d in %s",
			n, rows, cols, path)
	}
	pixels = make([]byte, n*rows*cols)
	if _, err := io.ReadFull(r, pixels); err != nil {
		return nil, 0, 0, errors.Wrapf(err, "repro: LoadIDX: reading pixels of %s", path)
	}
	return pixels, rows, cols, nil
}

func readIDXLabels(path string) ([]byte, error) {
	r, err := openMaybeGzip(path)
	if err != nil {
		return nil, errors.Wrap(err, "repro: LoadIDX")
	}
	defer r.Close()
	var hdr [2]uint32
	if err := binary.Read(r, binary.BigEndian, &hdr); err != nil {
		return nil, errors.Wrapf(err, "repro: LoadIDX: reading header of %s", path)
	}
	if hdr[0] != idxLabelsMagic {
		return nil, errors.Errorf("repro: LoadIDX: magic of %s is %d, want %d",
			path, hdr[0], idxLabelsMagic)
	}
	if hdr[1] > 1<<26 {
		return nil, errors.Errorf("repro: LoadIDX: invalid count %d in %s", hdr[1], path)
	}
	labels := make([]byte, hdr[1])
	if _, err := io.ReadFull(r, labels); err != nil {
		return nil, errors.Wrapf(err, "repro: LoadIDX: reading labels of %s", path)
	}
	return labels, nil
}

// readTable reads whitespace- or comma-separated numbers, one sample a
// line, skipping blank lines. Every line must have the same width.
func readTable(path string) (vals []float64, width int, err error) {
	r, err := openMaybeGzip(path)
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.FieldsFunc(sc.Text(), func(c rune) bool {
			return c == ',' || c == ' ' || c == '\t'
		})
		if len(fields) == 0 {
			continue
		}
		if width == 0 {
			width = len(fields)
		} else if len(fields) != width {
			return nil, 0, errors.Errorf("%s:%d: %d fields, want %d", path, line, len(fields), width)
		}
		for _, f := range fields {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, 0, errors.Errorf("%s:%d: invalid number %q", path, line, f)
			}
			vals = append(vals, v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, errors.Wrapf(err, "reading %s", path)
	}
	if width == 0 {
		return nil, 0, errors.Errorf("%s: no data", path)
	}
	return vals, width, nil
}

// LoadDigits reads the 8×8 digits table: 64 pixel values 0–16 then the
// label 0–9 on each line. Pixels are scaled to [0, 1].
func LoadDigits(path string) (*Dataset, error) {
	vals, width, err := readTable(path)
	if err != nil {
		return nil, errors.Wrap(err, "repro: LoadDigits")
	}
	if width != 65 {
		return nil, errors.Errorf("repro: LoadDigits: %s has %d columns, want 65", path, width)
	}
	n := len(vals) / width
	d := &Dataset{X: make([]float64, 0, n*64), Y: make([]float64, n), Features: 64, Classes: 10}
	for i := 0; i < n; i++ {
		row := vals[i*width : (i+1)*width]
		for _, p := range row[:64] {
			d.X = append(d.X, p/16)
		}
		l := row[64]
		if l != math.Trunc(l) || l < 0 || l > 9 {
			return nil, errors.Errorf("repro: LoadDigits: label of sample %d is %v, want 0–9", i, l)
		}
		d.Y[i] = l
	}
	return d, nil
}

// LoadDiabetes reads the diabetes regression set: the raw feature table
// (one sample a line) and the target (one value a line).
func LoadDiabetes(featuresPath, targetPath string) (*Dataset, error) {
	x, width, err := readTable(featuresPath)
	if err != nil {
		return nil, errors.Wrap(err, "repro: LoadDiabetes")
	}
	y, ywidth, err := readTable(targetPath)
	if err != nil {
		return nil, errors.Wrap(err, "repro: LoadDiabetes")
	}
	if ywidth != 1 {
		return nil, errors.Errorf("repro: LoadDiabetes: %s has %d columns, want 1", targetPath, ywidth)
	}
	if len(x)/width != len(y) {
		return nil, errors.Errorf("repro: LoadDiabetes: %d feature rows but %d targets",
			len(x)/width, len(y))
	}
	return &Dataset{X: x, Y: y, Features: width}, nil
}

// Standardize centres every feature column to mean 0 and scales it to
// standard deviation 1 (population, ddof 0), and centres a regression
// target. A constant column is centred and left unscaled.
func (d *Dataset) Standardize() {
	n := float64(d.Len())
	for j := 0; j < d.Features; j++ {
		var mean float64
		for i := 0; i < d.Len(); i++ {
			mean += d.X[i*d.Features+j]
		}
		mean /= n
		var ss float64
		for i := 0; i < d.Len(); i++ {
			v := d.X[i*d.Features+j] - mean
			ss += v * v
		}
		sd := math.Sqrt(ss / n)
		if sd == 0 {
			sd = 1
		}
		for i := 0; i < d.Len(); i++ {
			d.X[i*d.Features+j] = (d.X[i*d.Features+j] - mean) / sd
		}
	}
	if d.Classes == 0 {
		var mean float64
		for _, v := range d.Y {
			mean += v
		}
		mean /= n
		for i := range d.Y {
			d.Y[i] -= mean
		}
	}
}

// Split shuffles d's sample indices with a source seeded with seed and
// returns the first n samples as the training set and the rest as the
// test set.
func (d *Dataset) Split(n int, seed int64) (train, test *Dataset, err error) {
	if n <= 0 || n >= d.Len() {
		return nil, nil, errors.Errorf("repro: Split: training size %d is outside (0, %d)", n, d.Len())
	}
	perm := rand.New(rand.NewSource(seed)).Perm(d.Len())
	return d.Subset(perm[:n]), d.Subset(perm[n:]), nil
}
