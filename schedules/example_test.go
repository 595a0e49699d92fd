package schedules_test

import (
	"fmt"

	"github.com/regsched/regsched/schedules"
)

func ExampleParse() {
	s, err := schedules.Parse("every(100, poly(0, 0.9, 0, 1050))")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, step := range []int{0, 99, 100, 1049, 1050} {
		fmt.Printf("%4d %.4f\n", step, s.At(step))
	}
	fmt.Println(s)

	_, err = schedules.Parse("poly(0, 0.9, 100, 50)")
	fmt.Println(err)
	// Output:
	//    0 0.0000
	//   99 0.0000
	//  100 0.2334
	// 1049 0.8999
	// 1050 0.9000
	// every(100, poly(0, 0.9, 0, 1050))
	// schedules: poly: end (50) is before start (100)
}

func ExamplePoly() {
	// The cubic gradual pruning schedule of Zhu and Gupta (2017): from 0%
	// to 80% sparsity over steps 100 to 1100.
	s := schedules.Poly{From: 0, To: 0.8, Start: 100, End: 1100, Power: 3}
	for _, step := range []int{0, 100, 350, 600, 1100, 2000} {
		fmt.Printf("%4d %.4f\n", step, s.At(step))
	}
	// Output:
	//    0 0.0000
	//  100 0.0000
	//  350 0.4625
	//  600 0.7000
	// 1100 0.8000
	// 2000 0.8000
}
