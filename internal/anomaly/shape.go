package anomaly

import (
	"math"
	"slices"
)

// shape scores how unlike the recent past the latest stretch of the series
// is, in the manner of KNN-CAD: the last dim values, minus their mean, form
// an embedding; its nonconformity is the mean distance to its k nearest
// neighbours among the last ref embeddings, leaving out the dim most recent
// ones, which overlap it. Memory is bounded by dim*ref values and a point
// costs O(dim*ref).
type shape struct {
	dim, k, ref int
	last        []float64 // last dim values, oldest first
	embs        []float64 // ring of up to ref embeddings, dim values each
	count, head int       // embeddings stored; slot of the next one
	emb, best   []float64 // scratch: current embedding, k smallest squared distances
}

func newShape(dim, k, ref int) *shape {
	return &shape{
		dim: dim, k: k, ref: ref,
		last: make([]float64, 0, dim), embs: make([]float64, dim*ref),
		emb: make([]float64, dim), best: make([]float64, 0, k),
	}
}

// push adds v and returns the nonconformity of the embedding ending at v,
// and false while there are too few past embeddings to measure it.
func (s *shape) push(v float64) (float64, bool) {
	if len(s.last) == s.dim {
		copy(s.last, s.last[1:])
		s.last[s.dim-1] = v
	} else if s.last = append(s.last, v); len(s.last) < s.dim {
		return 0, false
	}
	mean := 0.0
	for _, x := range s.last {
		mean += x
	}
	mean /= float64(s.dim)
	for i, x := range s.last {
		s.emb[i] = x - mean
	}
	alpha, ok := 0.0, false
	if usable := s.count - s.dim; usable >= s.k {
		s.best = s.best[:0]
		slot := (s.head - s.count + s.ref) % s.ref // the oldest embedding
		for range usable {
			e := s.embs[slot*s.dim:][:len(s.emb)] // same length: no bounds checks below
			if slot++; slot == s.ref {
				slot = 0
			}
			d := 0.0
			for i, x := range s.emb {
				t := x - e[i]
				d += t * t
			}
			switch {
			case len(s.best) < s.k:
				i, _ := slices.BinarySearch(s.best, d)
				s.best = slices.Insert(s.best, i, d)
			case d < s.best[s.k-1]:
				i, _ := slices.BinarySearch(s.best, d)
				copy(s.best[i+1:], s.best[i:s.k-1])
				s.best[i] = d
			}
		}
		for _, d := range s.best {
			alpha += math.Sqrt(d)
		}
		alpha /= float64(len(s.best))
		ok = true
	}
	copy(s.embs[s.head*s.dim:][:s.dim], s.emb)
	s.head = (s.head + 1) % s.ref
	s.count = min(s.count+1, s.ref)
	return alpha, ok
}

// values returns the last values and the stored embeddings, oldest first.
func (s *shape) values() (last, embs []float64) {
	last = slices.Clone(s.last)
	oldest := (s.head - s.count + s.ref) % s.ref
	for j := range s.count {
		embs = append(embs, s.embs[((oldest+j)%s.ref)*s.dim:][:s.dim]...)
	}
	return last, embs
}

// restore sets the state written by values; it reports false when it does
// not fit the shape's dimensions.
func (s *shape) restore(last, embs []float64) bool {
	if len(last) > s.dim || len(embs)%s.dim != 0 || len(embs) > s.dim*s.ref {
		return false
	}
	s.last = append(s.last[:0], last...)
	copy(s.embs, embs)
	s.count = len(embs) / s.dim
	s.head = s.count % s.ref
	return true
}
