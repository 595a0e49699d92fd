package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
)

// Magic numbers of the IDX format: unsigned bytes, three dimensions for
// images and one for labels.
const (
	idxImagesMagic = 0x00000803 // 2051
	idxLabelsMagic = 0x00000801 // 2049
)

// maxIDXBytes bounds the pixel data an IDX header may announce (1 GiB),
// so a corrupt header cannot make the reader try to allocate more.
const maxIDXBytes = 1 << 30

// ReadIDX reads an IDX images file and its labels file (big-endian
// headers: images = magic 2051, count, rows, cols, then count·rows·cols
// unsigned bytes; labels = magic 2049, count, then count bytes) into a
// Set with pixel values divided by 255, so every feature lies in
// [0, 1]. A reader whose first two bytes are the gzip magic is
// decompressed. Every label must be below classes. Extra bytes after
// the announced data are an error.
func ReadIDX(name string, images, labels io.Reader, classes int) (*Set, error) {
	images, err := maybeGunzip(images)
	if err != nil {
		return nil, errors.Wrapf(err, "datasets: %s: images", name)
	}
	labels, err = maybeGunzip(labels)
	if err != nil {
		return nil, errors.Wrapf(err, "datasets: %s: labels", name)
	}

	var head [4]uint32
	if err := binary.Read(images, binary.BigEndian, head[:]); err != nil {
		return nil, errors.Wrapf(err, "datasets: %s: images: reading the 16-byte header", name)
	}
	if head[0] != idxImagesMagic {
		return nil, errors.Errorf("datasets: %s: images: magic number %d, expected %d",
			name, head[0], idxImagesMagic)
	}
	count, rows, cols := int64(head[1]), int64(head[2]), int64(head[3])
	if count == 0 || rows == 0 || cols == 0 {
		return nil, errors.Errorf("datasets: %s: images: empty shape %d×%d×%d",
			name, count, rows, cols)
	}
	size := count * rows * cols
	if size > maxIDXBytes {
		return nil, errors.Errorf("datasets: %s: images: header announces %d bytes, above the %d limit",
			name, size, maxIDXBytes)
	}

	var lhead [2]uint32
	if err := binary.Read(labels, binary.BigEndian, lhead[:]); err != nil {
		return nil, errors.Wrapf(err, "datasets: %s: labels: reading the 8-byte header", name)
	}
	if lhead[0] != idxLabelsMagic {
		return nil, errors.Errorf("datasets: %s: labels: magic number %d, expected %d",
			name, lhead[0], idxLabelsMagic)
	}
	if int64(lhead[1]) != count {
		return nil, errors.Errorf("datasets: %s: %d labels for %d images", name, lhead[1], count)
	}

	pixels, err := readExactly(images, size)
	if err != nil {
		return nil, errors.Wrapf(err, "datasets: %s: images", name)
	}
	tags, err := readExactly(labels, count)
	if err != nil {
		return nil, errors.Wrapf(err, "datasets: %s: labels", name)
	}

	s := &Set{
		Name:     name,
		X:        make([]float64, size),
		Y:        make([]float64, count),
		Rows:     int(count),
		Features: int(rows * cols),
		Classes:  classes,
	}
	for i, p := range pixels {
		s.X[i] = float64(p) / 255
	}
	for i, t := range tags {
		s.Y[i] = float64(t)
	}
	return s, s.validate()
}

// FashionMNIST reads Fashion-MNIST from dir, which must contain the four
// gzip files under their published names (train-images-idx3-ubyte.gz,
// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
// t10k-labels-idx1-ubyte.gz). It returns the published 60000/10000
// train and test split with pixels scaled to [0, 1].
func FashionMNIST(dir string) (train, test *Set, err error) {
	train, err = ReadIDXFiles("fashion_mnist/train",
		filepath.Join(dir, "train-images-idx3-ubyte.gz"),
		filepath.Join(dir, "train-labels-idx1-ubyte.gz"))
	if err != nil {
		return nil, nil, err
	}
	test, err = ReadIDXFiles("fashion_mnist/test",
		filepath.Join(dir, "t10k-images-idx3-ubyte.gz"),
		filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		return nil, nil, err
	}
	if train.Features != test.Features {
		return nil, nil, errors.Errorf("datasets: fashion_mnist: train images have %d pixels, test %d",
			train.Features, test.Features)
	}
	return train, test, nil
}

// ReadIDXFiles reads an IDX images file and its labels file from disk
// with ReadIDX, for ten classes.
func ReadIDXFiles(name, imagesPath, labelsPath string) (*Set, error) {
	images, err := os.Open(imagesPath)
	if err != nil {
		return nil, errors.Wrapf(err, "datasets: %s", name)
	}
	defer images.Close()
	labels, err := os.Open(labelsPath)
	if err != nil {
		return nil, errors.Wrapf(err, "datasets: %s", name)
	}
	defer labels.Close()
	return ReadIDX(name, bufio.NewReader(images), bufio.NewReader(labels), 10)
}

// maybeGunzip returns a reader of r's content, decompressed when r
// starts with the gzip magic bytes 0x1f 0x8b.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		return gzip.NewReader(br)
	}
	return br, nil
}

// readExactly reads n bytes and checks that nothing follows them. It
// grows its buffer as data arrives, so a header announcing more than the
// stream contains fails with a clear error instead of a large allocation.
func readExactly(r io.Reader, n int64) ([]byte, error) {
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, r, n)
	if err == io.EOF {
		return nil, errors.Errorf("truncated: header announces %d data bytes, found %d", n, got)
	}
	if err != nil {
		return nil, err
	}
	extra, err := io.Copy(io.Discard, r)
	if err != nil {
		return nil, err
	}
	if extra > 0 {
		return nil, errors.Errorf("%d bytes after the %d the header announces", extra, n)
	}
	return buf.Bytes(), nil
}
