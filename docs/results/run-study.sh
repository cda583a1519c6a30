#!/bin/bash
# One lane of the study behind docs/results/. Several lanes run this same list at once; run locks
# make them share the work. Code: the frozen snapshot /work/snap (git archive of SNAPSHOT_COMMIT).
CDG="node /work/snap/cdg-src.js"
RUN="--epochs 2 --train-limit 1000 --eval-limit 1000"
S=/work/study
C="--seed 1,2,3 --nice 10 --cdg"
$CDG sweep classification --preset mnist-paper --metric l2,reweighted-l2,sobolev --lambda 1,5 --formulation exact,paper $C "$CDG" --out $S/mnist-bs100 -- $RUN
$CDG sweep classification --preset mnist-paper --metric l2,reweighted-l2,sobolev --lambda 5 --formulation exact,paper --batch-size 8 $C "$CDG" --out $S/mnist-bs8 -- $RUN
$CDG sweep classification --preset fashion-mnist-paper --metric l2,reweighted-l2,sobolev --lambda 1,5 --formulation exact,paper $C "$CDG" --out $S/fashion-bs100 -- $RUN
$CDG sweep classification --preset mnist-paper --metric reweighted-l2,sobolev --lambda 0.5,20 --formulation exact,paper $C "$CDG" --out $S/mnist-bs100 -- $RUN
$CDG sweep classification --preset fashion-mnist-paper --metric reweighted-l2,sobolev --lambda 0.5,20 --formulation exact,paper $C "$CDG" --out $S/fashion-bs100 -- $RUN
