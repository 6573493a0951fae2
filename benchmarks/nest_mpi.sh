#!/usr/bin/env bash
# NEST across processes: builds NEST 3.10 with MPI from its sdist into a cached venv (once, outside
# CI: the PyPI wheel is built without MPI), then runs the CA3 harness and a C = N = 1,000 workload
# on the NEST backend under `mpirun -np 1` and `-np 2`, and checks that the spikes are equal.
#
#   bash benchmarks/nest_mpi.sh [RESULTS_DIR]     # default benchmarks/results/nest_mpi
#   bash benchmarks/nest_mpi.sh --build-only
#
# The venv lives in $SPIKEMEM_NEST_MPI_VENV (default ~/.cache/spikemem/nest-mpi). MPICH comes from
# the OS packages (Debian: libmpich-dev mpich), GSL from libgsl-dev (NEST's conductance cells need it).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${SPIKEMEM_NEST_MPI_VENV:-$HOME/.cache/spikemem/nest-mpi}
build_only=0
if [ "${1:-}" = "--build-only" ]; then build_only=1; shift; fi
results=${1:-benchmarks/results/nest_mpi}

have_mpi_nest() {
    [ -x "$venv/bin/python" ] && "$venv/bin/python" - <<'PY' >/dev/null 2>&1
import sys
import nest
sys.exit(0 if nest.build_info["have_mpi"] else 1)
PY
}

if ! have_mpi_nest; then
    start=$(date +%s)
    if ! command -v mpicc >/dev/null || ! command -v mpirun >/dev/null; then
        apt-get install -y -q libmpich-dev mpich libgsl-dev
    fi
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q 'numpy<2.4' 'cython>=3' scikit-build-core setuptools wheel matplotlib
    CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) "$venv/bin/pip" install -v --no-build-isolation \
        --no-binary nest-simulator nest-simulator==3.10.0 \
        -C cmake.define.with-mpi=ON -C cmake.define.with-openmp=ON \
        -C cmake.define.with-gsl=ON -C cmake.define.with-boost=OFF
    # mpi4py built against the OS's MPICH (the PyPI wheel looks for another MPI's libmpi.so.12)
    "$venv/bin/pip" install -q --no-binary mpi4py mpi4py 'PyNN==0.13.*' 'neo>=0.13'
    echo "nest-mpi build: $(( $(date +%s) - start )) s"
fi
"$venv/bin/python" -c "from mpi4py import MPI" 2>/dev/null ||
    "$venv/bin/pip" install -q --force-reinstall --no-deps --no-binary mpi4py mpi4py
"$venv/bin/pip" install -q --no-deps --no-build-isolation -e .
have_mpi_nest || { echo "NEST in $venv has no MPI" >&2; exit 1; }
[ "$build_only" = 1 ] && exit 0

mkdir -p "$results"
export PYTHONUNBUFFERED=1
for np in 1 2; do
    /usr/bin/time -v timeout "${SPIKEMEM_MPI_TIMEOUT:-3600}" mpirun -np "$np" "$venv/bin/python" benchmarks/nest_mpi_run.py "$results/np$np" \
        2> >(tee "$results/np$np.time" >&2) | tee "$results/np$np.log"
done
"$venv/bin/python" benchmarks/nest_mpi_run.py --compare "$results/np1" "$results/np2" | tee "$results/compare.log"
