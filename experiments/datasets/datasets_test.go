package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDigits(t *testing.T) {
	s, err := Digits()
	if err != nil {
		t.Fatal(err)
	}
	// Shape and class counts as in scikit-learn's load_digits.
	if s.Rows != 1797 || s.Features != 64 || s.Classes != 10 {
		t.Fatalf("shape %d×%d with %d classes, want 1797×64 with 10", s.Rows, s.Features, s.Classes)
	}
	counts := make([]int, 10)
	for i := 0; i < s.Rows; i++ {
		counts[s.Label(i)]++
	}
	want := []int{178, 182, 177, 183, 181, 182, 181, 179, 174, 180}
	for c := range want {
		if counts[c] != want[c] {
			t.Errorf("class %d: %d examples, want %d", c, counts[c], want[c])
		}
	}
	for i, v := range s.X {
		if v < 0 || v > 1 {
			t.Fatalf("feature %d = %v, outside [0, 1]", i, v)
		}
	}
	// The first row's raw pixels sum to 294 (read from the CSV file).
	var sum float64
	for _, v := range s.Row(0) {
		sum += v
	}
	if math.Abs(sum-294.0/16) > 1e-12 || s.Label(0) != 0 {
		t.Errorf("row 0: pixel sum %v and label %d, want %v and 0", sum, s.Label(0), 294.0/16)
	}
}

func TestBreastCancer(t *testing.T) {
	s, err := BreastCancer()
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 569 || s.Features != 30 || s.Classes != 2 {
		t.Fatalf("shape %d×%d with %d classes, want 569×30 with 2", s.Rows, s.Features, s.Classes)
	}
	var benign int
	for i := 0; i < s.Rows; i++ {
		benign += s.Label(i)
	}
	// 212 malignant and 357 benign, as scikit-learn documents.
	if benign != 357 {
		t.Errorf("%d benign, want 357", benign)
	}
	// First value of the first row in the file.
	if s.X[0] != 17.99 {
		t.Errorf("X[0] = %v, want 17.99", s.X[0])
	}
}

func TestDiabetesStandardized(t *testing.T) {
	s, err := Diabetes()
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 442 || s.Features != 10 || s.Classes != 0 {
		t.Fatalf("shape %d×%d with %d classes, want 442×10 regression", s.Rows, s.Features, s.Classes)
	}
	const tol = 1e-12
	for j := 0; j < s.Features; j++ {
		var mean, sq float64
		for i := 0; i < s.Rows; i++ {
			mean += s.Row(i)[j]
		}
		mean /= float64(s.Rows)
		for i := 0; i < s.Rows; i++ {
			sq += (s.Row(i)[j] - mean) * (s.Row(i)[j] - mean)
		}
		std := math.Sqrt(sq / float64(s.Rows))
		if math.Abs(mean) > tol || math.Abs(std-1) > tol {
			t.Errorf("column %d: mean %v, std %v; want 0 and 1 within %v", j, mean, std, tol)
		}
	}
	var mean float64
	for _, y := range s.Y {
		mean += y
	}
	if math.Abs(mean/float64(s.Rows)) > 1e-9 {
		t.Errorf("target mean %v, want 0", mean/float64(s.Rows))
	}
	// The first raw target is 151 and the raw mean 152.13348416289594
	// (numpy on diabetes_target.csv.gz).
	if math.Abs(s.Y[0]-(151-152.13348416289594)) > 1e-9 {
		t.Errorf("Y[0] = %v, want %v", s.Y[0], 151-152.13348416289594)
	}
}

func TestSplitFixed(t *testing.T) {
	s, err := Digits()
	if err != nil {
		t.Fatal(err)
	}
	train, test, err := Split(s, 0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	if train.Rows != 1348 || test.Rows != 449 {
		t.Fatalf("split %d/%d, want 1348/449", train.Rows, test.Rows)
	}
	train2, test2, _ := Split(s, 0.25, 1)
	if !equal(train.X, train2.X) || !equal(test.Y, test2.Y) {
		t.Error("same seed gave different splits")
	}
	_, test3, _ := Split(s, 0.25, 2)
	if equal(test.Y, test3.Y) {
		t.Error("seeds 1 and 2 gave the same split")
	}
	seen := make(map[int]bool)
	for _, i := range Permutation(1797, 7) {
		if i < 0 || i >= 1797 || seen[i] {
			t.Fatalf("Permutation: index %d repeated or out of range", i)
		}
		seen[i] = true
	}
}

// TestPermutationPinned pins Permutation's output, so that a change in
// math/rand/v2's PCG or in the shuffle, which would silently change
// every recipe's split, fails here. The values were recorded from this
// implementation with Go 1.26.
func TestPermutationPinned(t *testing.T) {
	for _, c := range []struct {
		seed uint64
		want []int
	}{
		{1, []int{7, 1, 6, 2, 3, 5, 9, 4, 8, 0}},
		{42, []int{4, 8, 3, 2, 9, 7, 1, 6, 5, 0}},
	} {
		got := Permutation(10, c.seed)
		if !slices.Equal(got, c.want) {
			t.Errorf("Permutation(10, %d) = %v, want %v", c.seed, got, c.want)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	s := &Set{Name: "tiny", X: []float64{1, 2}, Y: []float64{0, 1}, Rows: 2, Features: 1, Classes: 2}
	for i, f := range []float64{0, 1, -0.5, math.NaN(), 0.1} {
		if _, _, err := Split(s, f, 1); err == nil {
			t.Errorf("case %d: Split(fraction %v) returned no error", i, f)
		}
	}
}

func TestStandardizeUsesTrainOnly(t *testing.T) {
	train := &Set{X: []float64{1, 10, 3, 10}, Y: []float64{0, 0}, Rows: 2, Features: 2}
	test := &Set{X: []float64{5, 7}, Y: []float64{0}, Rows: 1, Features: 2}
	if err := Standardize(train, test); err != nil {
		t.Fatal(err)
	}
	// Column 0 in train has mean 2 and population std 1; column 1 is
	// constant, so it is only shifted.
	want := []float64{3, -3}
	if !equal(test.X, want) || !equal(train.X, []float64{-1, 0, 1, 0}) {
		t.Errorf("test %v, train %v; want %v and [-1 0 1 0]", test.X, train.X, want)
	}
}

func TestReadIDXFashion(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range []string{"images-idx3", "labels-idx1"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fashion-mnist",
			"t10k-"+kind+"-ubyte.gz"))
		if err != nil {
			t.Fatal(err)
		}
		// The 1000-image subset replaces both files of the pair.
		for _, part := range []string{"train", "t10k"} {
			if err := os.WriteFile(filepath.Join(dir, part+"-"+kind+"-ubyte.gz"), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	train, test, err := FashionMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if test.Rows != 1000 || test.Features != 784 || train.Rows != 1000 {
		t.Fatalf("shape %d×%d, want 1000×784", test.Rows, test.Features)
	}
	// Values read with Python's gzip and struct modules from the same file.
	wantLabels := []int{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}
	for i, w := range wantLabels {
		if test.Label(i) != w {
			t.Errorf("label %d = %d, want %d", i, test.Label(i), w)
		}
	}
	var first, all float64
	for i, v := range test.X {
		if i < 784 {
			first += v
		}
		all += v
	}
	if math.Abs(first*255-33456) > 1e-6 || math.Abs(all*255-58034149) > 1e-3 {
		t.Errorf("pixel sums %v and %v, want 33456 and 58034149", first*255, all*255)
	}
}

func TestReadIDXErrors(t *testing.T) {
	images := func(magic, count, rows, cols uint32, data int) []byte {
		var b bytes.Buffer
		binary.Write(&b, binary.BigEndian, []uint32{magic, count, rows, cols})
		b.Write(make([]byte, data))
		return b.Bytes()
	}
	labels := func(magic, count uint32, data []byte) []byte {
		var b bytes.Buffer
		binary.Write(&b, binary.BigEndian, []uint32{magic, count})
		b.Write(data)
		return b.Bytes()
	}
	gz := func(p []byte) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(p)
		w.Close()
		return b.Bytes()
	}
	cases := []struct {
		images, labels []byte
		want           string
	}{
		{images(2051, 2, 2, 2, 8), labels(2049, 2, []byte{0, 1}), ""},
		{gz(images(2051, 2, 2, 2, 8)), gz(labels(2049, 2, []byte{0, 1})), ""},
		{images(2049, 2, 2, 2, 8), labels(2049, 2, []byte{0, 1}), "magic number 2049, expected 2051"},
		{images(2051, 2, 2, 2, 8), labels(2051, 2, []byte{0, 1}), "magic number 2051, expected 2049"},
		{images(2051, 2, 2, 2, 8), labels(2049, 3, []byte{0, 1, 2}), "3 labels for 2 images"},
		{images(2051, 2, 2, 2, 7), labels(2049, 2, []byte{0, 1}), "truncated"},
		{images(2051, 2, 2, 2, 9), labels(2049, 2, []byte{0, 1}), "1 bytes after"},
		{images(2051, 0, 2, 2, 0), labels(2049, 0, nil), "empty shape"},
		{images(2051, 1<<20, 1<<10, 1<<10, 0), labels(2049, 1, nil), "above the"},
		{images(2051, 2, 2, 2, 8), labels(2049, 2, []byte{0, 10}), "label 10 is not a class"},
		{images(2051, 2, 2, 2, 8)[:10], labels(2049, 2, nil), "header"},
	}
	for i, c := range cases {
		s, err := ReadIDX("idx", bytes.NewReader(c.images), bytes.NewReader(c.labels), 10)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("case %d: unexpected error %v", i, err)
		case c.want == "" && (s.Rows != 2 || s.Features != 4 || s.Label(1) != 1):
			t.Errorf("case %d: got %d×%d, want 2×4", i, s.Rows, s.Features)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("case %d: error %v, want one containing %q", i, err, c.want)
		}
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFilesMatchEmbedded(t *testing.T) {
	// The files beside the package are the ones it embeds, so reading
	// them from disk must give the same sets.
	embeddedDigits, err := Digits()
	if err != nil {
		t.Fatal(err)
	}
	fileDigits, err := DigitsFile(filepath.Join("data", "digits.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if !equal(fileDigits.X, embeddedDigits.X) || !equal(fileDigits.Y, embeddedDigits.Y) ||
		fileDigits.Classes != 10 {
		t.Error("DigitsFile differs from Digits")
	}
	embeddedDiabetes, err := Diabetes()
	if err != nil {
		t.Fatal(err)
	}
	fileDiabetes, err := DiabetesFiles(filepath.Join("data", "diabetes_data_raw.csv.gz"),
		filepath.Join("data", "diabetes_target.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if !equal(fileDiabetes.X, embeddedDiabetes.X) || !equal(fileDiabetes.Y, embeddedDiabetes.Y) {
		t.Error("DiabetesFiles differs from Diabetes")
	}
}

func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	wide := filepath.Join(dir, "wide.csv")
	if err := os.WriteFile(wide, []byte("1,2,3\n4,5,6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.csv.gz")
	cases := []struct {
		load func() error
		want string
	}{
		{func() error { _, err := DigitsFile(missing); return err }, missing},
		{func() error { _, err := DigitsFile(wide); return err }, "2 pixel columns, expected 64"},
		{func() error { _, err := DiabetesFiles(wide, missing); return err }, missing},
		{func() error { _, err := DiabetesFiles(wide, wide); return err }, "target has 2 rows of 3"},
	}
	for i, c := range cases {
		if err := c.load(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: error %v, want one containing %q", i, err, c.want)
		}
	}
}

func TestHead(t *testing.T) {
	s := &Set{X: []float64{1, 2, 3}, Y: []float64{0, 1, 2}, Rows: 3, Features: 1, Classes: 3}
	for i, c := range []struct {
		n    int
		want []float64
	}{{2, []float64{1, 2}}, {0, []float64{1, 2, 3}}, {5, []float64{1, 2, 3}}} {
		h := s.Head(c.n)
		if !equal(h.X, c.want) || h.Rows != len(c.want) {
			t.Errorf("case %d: Head(%d) = %v with %d rows, want %v", i, c.n, h.X, h.Rows, c.want)
		}
	}
}
