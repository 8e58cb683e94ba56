package forecast

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestScore(t *testing.T) {
	f := Forecast{Points: []Point{
		{Step: 1, Mean: 10, Low: 8, High: 12},
		{Step: 2, Mean: 10, Low: 7, High: 13},
		{Step: 3, Mean: 0, Low: 0, High: 1},
		{Step: 4, Mean: 20, Low: 15, High: 25},
	}}
	nan := math.NaN()
	tests := []struct {
		name   string
		actual []float64
		want   Accuracy
	}{
		{"exact", []float64{10, 10, 0, 20}, Accuracy{N: 4, Coverage: 1}},
		{"errors", []float64{12, 6, 0, 30}, Accuracy{
			N: 4, MAE: (2 + 4 + 0 + 10) / 4.0, RMSE: math.Sqrt((4 + 16 + 0 + 100) / 4.0),
			SMAPE: (4.0/22 + 8.0/16 + 0 + 20.0/50) / 4, Bias: (-2 + 4 + 0 - 10) / 4.0, Coverage: 0.5,
		}},
		{"missing and short", []float64{nan, 11}, Accuracy{N: 1, MAE: 1, RMSE: 1, SMAPE: 2.0 / 21, Bias: -1, Coverage: 1}},
		{"nothing", nil, Accuracy{}},
		{"longer than forecast", []float64{10, 10, 0, 20, 99, 99}, Accuracy{N: 4, Coverage: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Score(f, tc.actual)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("Score(%v) mismatch (-want +got):\n%s", tc.actual, diff)
			}
		})
	}
}
