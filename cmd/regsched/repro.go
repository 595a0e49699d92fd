package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/regsched/regsched/experiments/repro"
)

func init() { rootCmd.AddCommand(newReproCmd()) }

// newReproCmd returns the repro command with fresh flag values.
func newReproCmd() *cobra.Command {
	var opts repro.Options
	var list, show bool
	cmd := &cobra.Command{
		Use:   "repro NAME|RECIPE.yaml",
		Short: "Run a paper-style reproduction and write its report",
		Long: `Run one of the paper-style reproductions on real data and write its
report (README.md with tables, SVG plots, results.jsonl) into --out,
by default runs/repro/NAME.

NAME runs the reproduction's built-in recipe; a path ending in .yaml or
.yml runs that recipe file instead (its key "reproduction" names the
reproduction). --show prints the built-in recipe, a starting point for
a file. --list shows the reproductions.

The reproductions on the digits and the diabetes data read copies built
into the binary, so they need no files. The Fashion-MNIST ones need
--data (or the recipe's data key): the folder that contains the four
Fashion-MNIST IDX files, train-images-idx3-ubyte.gz,
train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
t10k-labels-idx1-ubyte.gz. A relative folder is relative to the working
directory.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if list {
				return nil
			}
			if len(args) != 1 {
				return usageError{fmt.Errorf("repro: expected one reproduction name or recipe "+
					"file, got %d arguments (see regsched repro --list)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if list {
				for _, r := range repro.Reproductions() {
					fmt.Fprintf(out, "%-22s %s\n", r.Name, r.Description)
				}
				return nil
			}
			if opts.Seeds < 0 {
				return usageError{fmt.Errorf("repro: --seeds (%d) is negative", opts.Seeds)}
			}
			if opts.Data != "" {
				if info, err := os.Stat(opts.Data); err != nil || !info.IsDir() {
					return usageError{fmt.Errorf("repro: --data %q is not a folder: give the "+
						"folder of the reproduction's data files", opts.Data)}
				}
			}
			recipe, text, err := loadReproRecipe(args[0])
			if err != nil {
				return usageError{err}
			}
			if show {
				_, err := out.Write(text)
				return err
			}
			if opts.Out == "" {
				opts.Out = filepath.Join("runs", "repro", recipe.Reproduction())
			}
			opts.Progress = cmd.ErrOrStderr()
			if err := recipe.Run(opts); err != nil {
				return err
			}
			fmt.Fprintf(out, "wrote %s\n", opts.Out)
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Data, "data", "",
		"folder of the data files, replacing the recipe's data key and the built-in copies")
	cmd.Flags().StringVar(&opts.Out, "out", "", "report folder (default runs/repro/NAME)")
	cmd.Flags().IntVar(&opts.Seeds, "seeds", 0,
		"run seeds 1 to N instead of the recipe's seeds (0 keeps the recipe's)")
	cmd.Flags().BoolVar(&list, "list", false, "list the reproductions and exit")
	cmd.Flags().BoolVar(&show, "show", false, "print the recipe and exit")
	return cmd
}

// loadReproRecipe parses a recipe file when arg ends in .yaml or .yml,
// and the built-in recipe of the reproduction arg names otherwise. It
// also returns the recipe's text.
func loadReproRecipe(arg string) (*repro.Recipe, []byte, error) {
	if strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		text, err := os.ReadFile(arg)
		if err != nil {
			return nil, nil, fmt.Errorf("repro: reading the recipe: %w", err)
		}
		r, err := repro.ParseRecipe(arg, text)
		return r, text, err
	}
	r, err := repro.Lookup(arg)
	if err != nil {
		return nil, nil, err
	}
	text, err := r.RecipeYAML()
	if err != nil {
		return nil, nil, err
	}
	recipe, err := r.Recipe()
	return recipe, text, err
}
