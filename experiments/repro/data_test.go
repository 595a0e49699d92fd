package repro

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadIDXSubset(t *testing.T) {
	d, err := LoadIDX("testdata/fashion-train300-images-idx3-ubyte.gz",
		"testdata/fashion-train300-labels-idx1-ubyte.gz")
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 300 || d.Features != 784 || d.Classes != 10 {
		t.Fatalf("got %d samples of %d features, %d classes; want 300, 784, 10",
			d.Len(), d.Features, d.Classes)
	}
	// The first Fashion-MNIST training label is 9 (ankle boot), from the
	// IDX file's ninth byte.
	if d.Y[0] != 9 {
		t.Errorf("first label %v, want 9", d.Y[0])
	}
	for i, v := range d.X {
		if v < 0 || v > 1 {
			t.Fatalf("pixel %d is %v, want a value in [0, 1]", i, v)
		}
	}
}

func TestLoadIDXErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte{0, 0, 8, 1, 0, 0, 0, 1, 7}, 0o644); err != nil {
		t.Fatal(err)
	}
	images := "testdata/fashion-t10k100-images-idx3-ubyte.gz"
	labels := "testdata/fashion-t10k100-labels-idx1-ubyte.gz"
	cases := []struct{ images, labels string }{
		{images: filepath.Join(dir, "missing"), labels: labels},
		{images: bad, labels: labels},       // labels magic in the images slot
		{images: images, labels: images},    // images magic in the labels slot
		{images: images, labels: bad},       // 1 label for 100 images
		{images: images + "x", labels: bad}, // missing file
	}
	for i, c := range cases {
		if _, err := LoadIDX(c.images, c.labels); err == nil {
			t.Errorf("case %d: LoadIDX(%s, %s) returned no error", i, c.images, c.labels)
		}
	}
}

func TestStandardizeDiabetes(t *testing.T) {
	d, err := LoadDiabetes("testdata/diabetes_data_raw.csv.gz", "testdata/diabetes_target.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 442 || d.Features != 10 {
		t.Fatalf("got %d×%d, want 442×10", d.Len(), d.Features)
	}
	d.Standardize()
	n := float64(d.Len())
	for j := 0; j < d.Features; j++ {
		var mean, sq float64
		for i := 0; i < d.Len(); i++ {
			v := d.X[i*d.Features+j]
			mean += v
			sq += v * v
		}
		// Definition: mean 0, population variance 1.
		if math.Abs(mean/n) > 1e-12 || math.Abs(sq/n-1) > 1e-12 {
			t.Errorf("feature %d: mean %g, variance %g; want 0 and 1", j, mean/n, sq/n)
		}
	}
	var ymean float64
	for _, v := range d.Y {
		ymean += v
	}
	if math.Abs(ymean/n) > 1e-12 {
		t.Errorf("target mean %g, want 0", ymean/n)
	}
}
