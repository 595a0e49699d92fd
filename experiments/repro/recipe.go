package repro

import (
	"embed"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pkg/errors"
	"go.yaml.in/yaml/v3"

	"github.com/regsched/regsched/experiments"
	"github.com/regsched/regsched/experiments/datasets"
)

// builtin holds the built-in copy of the Lasso reference, which a recipe
// without a data folder reads. The built-in digits and diabetes sets are
// in package datasets.
//
//go:embed golden/lasso_diabetes.json
var builtin embed.FS

// fashionFiles are the Fashion-MNIST IDX files, which have no built-in
// copy.
var fashionFiles = []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
	"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}

// Common contains the keys that every reproduction recipe has.
type Common struct {
	// Reproduction names the driver that runs the recipe, one of
	// Reproductions.
	Reproduction string `yaml:"reproduction"`
	// Data is the folder that contains the data files. A relative path is
	// relative to the working directory, not to the recipe file. If Data
	// is empty, the digits, the diabetes set and the Lasso reference are
	// read from the copies built into the binary. Fashion-MNIST has no
	// built-in copy, so its reproductions need the folder that holds its
	// four IDX files.
	Data string `yaml:"data,omitempty"`
	// Seeds are the seeds of the repeated runs. Each seed sets the
	// initial weights and the batch order.
	Seeds []int64 `yaml:"seeds,flow,omitempty"`
}

// Split is a random train/test split of a data set that has no
// published one, made by datasets.Split.
type Split struct {
	// TestFraction is the share of examples held out, in (0, 1).
	TestFraction float64 `yaml:"test_fraction"`
	// Seed fixes the shuffle, independent of the run seeds.
	Seed uint64 `yaml:"seed"`
}

// Settings is the Go form of one reproduction's recipe: Common plus the
// reproduction's own keys. Each reproduction has its own type.
type Settings interface {
	common() *Common
	// check records every invalid value in c.
	check(c *experiments.FieldCheck)
	// run trains, evaluates and writes the report into o.Out.
	run(o Options) error
}

// Recipe is a parsed reproduction recipe.
type Recipe struct {
	// Name is the name used in messages, usually the file name.
	Name string
	// Settings contains the values, in the type the reproduction defines.
	Settings Settings
	lines    experiments.KeyLines
}

// Reproduction is one paper-style experiment with its built-in recipe.
type Reproduction struct {
	Name        string
	Description string
	newSettings func() Settings
}

var registry []Reproduction

func register(name, description string, newSettings func() Settings) {
	registry = append(registry, Reproduction{Name: name, Description: description,
		newSettings: newSettings})
}

// Reproductions returns every reproduction in name order.
func Reproductions() []Reproduction {
	out := append([]Reproduction(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the reproduction with the given name.
func Lookup(name string) (Reproduction, error) {
	for _, r := range registry {
		if r.Name == name {
			return r, nil
		}
	}
	return Reproduction{}, errors.Errorf("repro: unknown reproduction %q (known: %s)",
		name, strings.Join(names(), ", "))
}

func names() []string {
	var out []string
	for _, r := range Reproductions() {
		out = append(out, r.Name)
	}
	return out
}

// RecipeFile returns the path of r's built-in recipe inside
// experiments.ReproRecipes.
func (r Reproduction) RecipeFile() string { return "recipes/repro/" + r.Name + ".yaml" }

// RecipeYAML returns the text of r's built-in recipe.
func (r Reproduction) RecipeYAML() ([]byte, error) {
	b, err := fs.ReadFile(experiments.ReproRecipes, r.RecipeFile())
	if err != nil {
		return nil, errors.Wrapf(err, "repro: %s: built-in recipe", r.Name)
	}
	return b, nil
}

// Recipe returns r's built-in recipe, parsed.
func (r Reproduction) Recipe() (*Recipe, error) {
	b, err := r.RecipeYAML()
	if err != nil {
		return nil, err
	}
	return ParseRecipe(r.Name+".yaml", b)
}

// sections names the recipe section that each Go type decodes, for
// messages about unknown keys.
var sections = map[string]string{
	"RunConfig": "training", "PruneProtocol": "training", "Split": "split",
	"NamedSchedule": "a schedule", "FullRun": "a run", "Regrowth": "regrowth",
}

// ParseRecipe reads a reproduction recipe. The key reproduction chooses
// the Settings type, and data is then decoded strictly into it. An
// unknown key and an invalid value are errors that give the line
// number, for example `lasso.yaml:7: unknown key "step_per_alpha" in
// the recipe`. name is used in messages.
func ParseRecipe(name string, data []byte) (*Recipe, error) {
	var keys map[string]yaml.Node
	if _, err := experiments.DecodeStrict(name, data, &keys, nil); err != nil {
		return nil, errors.WithMessage(err, "repro")
	}
	node, ok := keys["reproduction"]
	if !ok {
		return nil, errors.Errorf("repro: %s: missing key reproduction (one of %s)", name,
			strings.Join(names(), ", "))
	}
	r, err := Lookup(node.Value)
	if err != nil {
		return nil, errors.Errorf("repro: %s:%d: reproduction %q is unknown (want one of %s)",
			name, node.Line, node.Value, strings.Join(names(), ", "))
	}
	s := r.newSettings()
	words := map[string]string{typeName(s): "the recipe"}
	for k, v := range sections {
		words[k] = v
	}
	lines, err := experiments.DecodeStrict(name, data, s, words)
	if err != nil {
		return nil, errors.WithMessage(err, "repro")
	}
	rec := &Recipe{Name: name, Settings: s, lines: lines}
	return rec, rec.check()
}

// Reproduction returns the name of the reproduction that r runs.
func (r *Recipe) Reproduction() string { return r.Settings.common().Reproduction }

// typeName returns the name of the struct that s points to.
func typeName(s Settings) string {
	name := fmt.Sprintf("%T", s)
	return name[strings.LastIndex(name, ".")+1:]
}

func (r *Recipe) check() error {
	c := experiments.NewFieldCheck(r.Name, r.lines)
	r.Settings.check(c)
	return errors.WithMessage(c.Err(), "repro")
}

// Run applies the command-line overrides in o (Data and Seeds, when
// set) to the recipe, checks it again and runs it, writing the report
// into o.Out.
func (r *Recipe) Run(o Options) error {
	if o.Out == "" {
		return errors.New("repro: Run: no report folder (Options.Out)")
	}
	c := r.Settings.common()
	if o.Data != "" {
		c.Data = o.Data
	}
	if o.Seeds > 0 {
		c.Seeds = c.Seeds[:0]
		for s := int64(1); s <= int64(o.Seeds); s++ {
			c.Seeds = append(c.Seeds, s)
		}
	}
	if err := r.check(); err != nil {
		return err
	}
	return r.Settings.run(o)
}

// checkSeeds requires between 1 and 1000 distinct seeds.
func (c *Common) checkSeeds(fc *experiments.FieldCheck) {
	if len(c.Seeds) == 0 || len(c.Seeds) > 1000 {
		fc.Fail("seeds", "has %d seeds; give between 1 and 1000", len(c.Seeds))
	}
	seen := map[int64]bool{}
	for i, s := range c.Seeds {
		if seen[s] {
			fc.Fail(key("seeds", i), "(%d) is given twice", s)
		}
		seen[s] = true
	}
}

func (s Split) check(fc *experiments.FieldCheck) {
	if !(s.TestFraction > 0 && s.TestFraction < 1) {
		fc.Fail("split.test_fraction", "(%v) is outside (0, 1)", s.TestFraction)
	}
}

// dataFile returns the path of file in the data folder, or an error
// that names the missing file.
func (c *Common) dataFile(file string) (string, error) {
	p := filepath.Join(c.Data, file)
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", errors.Errorf("repro: %s: data file %s not found (set --data or the "+
				"recipe's data key to the folder that contains %s)", c.Reproduction, p, file)
		}
		return "", errors.Wrapf(err, "repro: %s", c.Reproduction)
	}
	return p, nil
}

// digits reads digits.csv.gz from the data folder, or the built-in copy
// without one, and splits it.
func (c *Common) digits(s Split) (all, train, test *datasets.Set, err error) {
	if c.Data == "" {
		all, err = datasets.Digits()
	} else {
		var path string
		if path, err = c.dataFile("digits.csv.gz"); err != nil {
			return nil, nil, nil, err
		}
		all, err = datasets.DigitsFile(path)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	train, test, err = datasets.Split(all, s.TestFraction, s.Seed)
	return all, train, test, err
}

// fashionMNIST reads the four Fashion-MNIST IDX files from the data
// folder.
func (c *Common) fashionMNIST() (train, test *datasets.Set, err error) {
	if c.Data == "" {
		return nil, nil, errors.Errorf("repro: %s: Fashion-MNIST has no built-in copy; set "+
			"--data or the recipe's data key to the folder that holds %s",
			c.Reproduction, strings.Join(fashionFiles, ", "))
	}
	for _, f := range fashionFiles {
		if _, err := c.dataFile(f); err != nil {
			return nil, nil, err
		}
	}
	return datasets.FashionMNIST(c.Data)
}

// key returns the path of item i of the list at path.
func key(path string, i int) string { return fmt.Sprintf("%s.%d", path, i) }

// checkUnit requires v in [0, 1), as a sparsity.
func checkUnit(fc *experiments.FieldCheck, path string, v float64) {
	if !(v >= 0 && v < 1) {
		fc.Fail(path, "(%v) is outside [0, 1)", v)
	}
}

// checkPositive requires a positive finite v.
func checkPositive(fc *experiments.FieldCheck, path string, v float64) {
	if !(v > 0) || math.IsInf(v, 0) {
		fc.Fail(path, "(%v) must be positive and finite", v)
	}
}
