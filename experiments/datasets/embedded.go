package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"embed"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// The small data sets live in this package's data folder and are
// embedded, so the regsched binary needs no files at run time. They sit
// here, beside the code that embeds them, because go:embed reads only
// files in the package's own directory tree; data/README.md names their
// sources and licences.
//
//go:embed data/digits.csv.gz data/breast_cancer.csv
//go:embed data/diabetes_data_raw.csv.gz data/diabetes_target.csv.gz
var files embed.FS

// Digits returns the 1797 handwritten 8×8 digits (UCI Optical
// Recognition of Handwritten Digits, as shipped by scikit-learn) with
// the pixel values 0–16 divided by 16, so every feature lies in [0, 1].
// Labels are the digits 0–9.
func Digits() (*Set, error) {
	return digits(readEmbedded("digits", "data/digits.csv.gz", false, true))
}

// DigitsFile reads the digits from a file in the form of the embedded
// copy: one image a line, 64 pixel values 0–16 and the label, separated
// by commas or spaces, gzip-compressed when the name ends in ".gz". It
// scales the pixels as Digits does.
func DigitsFile(path string) (*Set, error) {
	return digits(readFile("digits", path, false, true))
}

func digits(s *Set, err error) (*Set, error) {
	if err != nil {
		return nil, err
	}
	if s.Features != 64 {
		return nil, errors.Errorf("datasets: digits: %d pixel columns, expected 64", s.Features)
	}
	for i := range s.X {
		s.X[i] /= 16
	}
	s.Classes = 10
	return s, s.validate()
}

// BreastCancer returns the Wisconsin diagnostic breast cancer set: 569
// examples of 30 raw (unscaled) features; label 0 is malignant and 1
// benign. Standardize it with statistics of the training split only
// (see Standardize) before training.
func BreastCancer() (*Set, error) {
	s, err := readEmbedded("breast_cancer", "data/breast_cancer.csv", true, true)
	if err != nil {
		return nil, err
	}
	s.Classes = 2
	return s, s.validate()
}

// Diabetes returns the diabetes progression regression set (Efron et
// al. 2004): 442 examples of 10 features, each feature column
// standardized to mean 0 and population standard deviation 1 (ddof 0)
// over all 442 rows, and the target centred to mean 0. This is the
// preprocessing under which scikit-learn's Lasso reference solutions on
// this set are computed.
func Diabetes() (*Set, error) {
	x, err := readEmbedded("diabetes", "data/diabetes_data_raw.csv.gz", false, false)
	if err != nil {
		return nil, err
	}
	y, err := readEmbedded("diabetes", "data/diabetes_target.csv.gz", false, false)
	if err != nil {
		return nil, err
	}
	return diabetes(x, y)
}

// DiabetesFiles reads the diabetes set from a features file (one
// example a line, values separated by spaces or commas) and a target
// file (one value a line), and preprocesses it as Diabetes does. A file
// whose name ends in ".gz" is decompressed.
func DiabetesFiles(featuresPath, targetPath string) (*Set, error) {
	x, err := readFile("diabetes", featuresPath, false, false)
	if err != nil {
		return nil, err
	}
	y, err := readFile("diabetes", targetPath, false, false)
	if err != nil {
		return nil, err
	}
	return diabetes(x, y)
}

// diabetes joins the feature and target tables, standardizes the
// features and centres the target.
func diabetes(x, y *Set) (*Set, error) {
	if y.Rows != x.Rows || y.Features != 1 {
		return nil, errors.Errorf(
			"datasets: diabetes: target has %d rows of %d columns, expected %d of 1",
			y.Rows, y.Features, x.Rows)
	}
	s := &Set{Name: "diabetes", X: x.X, Y: y.X, Rows: x.Rows, Features: x.Features}
	standardizeColumns(s.X, s.Rows, s.Features, s.X, s.Rows)
	var mean float64
	for _, v := range s.Y {
		mean += v
	}
	mean /= float64(len(s.Y))
	for i := range s.Y {
		s.Y[i] -= mean
	}
	return s, s.validate()
}

// Standardize shifts and scales every feature column of train and test
// by the mean and population standard deviation of that column in train,
// so no statistic of the test set leaks into training. A column that is
// constant in train is only shifted. Both sets must have the same
// number of features.
func Standardize(train, test *Set) error {
	if train.Features != test.Features {
		return errors.Errorf("datasets: Standardize: train has %d features, test %d",
			train.Features, test.Features)
	}
	standardizeColumns(train.X, train.Rows, train.Features, test.X, test.Rows)
	return nil
}

// standardizeColumns computes each column's mean and population standard
// deviation over fit (n rows of d) and applies them to apply (m rows)
// and then to fit. fit and apply may be the same slice.
func standardizeColumns(fit []float64, n, d int, apply []float64, m int) {
	mean := make([]float64, d)
	std := make([]float64, d)
	for i := 0; i < n; i++ {
		for j, v := range fit[i*d : (i+1)*d] {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for i := 0; i < n; i++ {
		for j, v := range fit[i*d : (i+1)*d] {
			std[j] += (v - mean[j]) * (v - mean[j])
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / float64(n))
		if std[j] == 0 {
			std[j] = 1
		}
	}
	scale := func(x []float64, rows int) {
		for i := 0; i < rows; i++ {
			row := x[i*d : (i+1)*d]
			for j := range row {
				row[j] = (row[j] - mean[j]) / std[j]
			}
		}
	}
	if &apply[0] != &fit[0] {
		scale(apply, m)
	}
	scale(fit, n)
}

// readEmbedded reads an embedded file of numbers separated by commas or
// spaces, one example a line. With labelled set the last column is the
// label; otherwise every column is a feature and Y stays nil. With
// header set, the first line is skipped. Files ending in .gz are
// decompressed.
func readEmbedded(name, path string, header, labelled bool) (*Set, error) {
	raw, err := files.ReadFile(path)
	if err != nil {
		return nil, errors.Wrapf(err, "datasets: %s", name)
	}
	return readTable(name, path, raw, header, labelled)
}

// readFile reads a file from disk as readEmbedded reads an embedded one.
func readFile(name, path string, header, labelled bool) (*Set, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrapf(err, "datasets: %s", name)
	}
	return readTable(name, path, raw, header, labelled)
}

// readTable decompresses raw when path ends in .gz and parses it.
func readTable(name, path string, raw []byte, header, labelled bool) (*Set, error) {
	var r io.Reader = bytes.NewReader(raw)
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, errors.Wrapf(err, "datasets: %s: %s", name, path)
		}
		r = gz
	}
	s, err := parseTable(name, r, header, labelled)
	if err != nil {
		return nil, errors.Wrapf(err, "datasets: %s: %s", name, path)
	}
	return s, nil
}

// parseTable parses lines of numbers into a Set; see readCSV.
func parseTable(name string, r io.Reader, header, labelled bool) (*Set, error) {
	s := &Set{Name: name, Features: -1}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if header && line == 1 {
			continue
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		fields := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' })
		features := len(fields)
		if labelled {
			features--
		}
		if s.Features >= 0 && features != s.Features {
			return nil, errors.Errorf("line %d: %d columns, expected %d",
				line, len(fields), len(fields)-features+s.Features)
		}
		s.Features = features
		for k, f := range fields {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, errors.Errorf("line %d: column %d: invalid number %q", line, k+1, f)
			}
			if k == features {
				s.Y = append(s.Y, v)
			} else {
				s.X = append(s.X, v)
			}
		}
		s.Rows++
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if s.Rows == 0 {
		return nil, errors.New("no data rows")
	}
	return s, nil
}
