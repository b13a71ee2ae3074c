#!/bin/sh
# Submits one govwatch night to Slurm: a job array of SHARDS shard runs, then the merge job,
# which starts only when every array task ended well.
#
#   SHARDS=8 GOVWATCH_DATA=/shared/govwatch GOVWATCH_CONFIG=/shared/govwatch/config \
#     contrib/slurm/submit.sh [AS_OF]
#
# AS_OF (the monitoring time, the same for every shard) defaults to now in China time.
set -eu
: "${SHARDS:=8}"
: "${GOVWATCH_DATA:?set GOVWATCH_DATA to a directory every node mounts}"
: "${GOVWATCH_CONFIG:=$GOVWATCH_DATA/config}"
AS_OF=${1:-$(TZ=Asia/Shanghai date +%Y-%m-%dT%H:%M:%S+08:00)}
export SHARDS GOVWATCH_DATA GOVWATCH_CONFIG AS_OF
here=$(dirname "$0")
mkdir -p "$GOVWATCH_DATA/$(printf %s "$AS_OF" | cut -c1-10)"
array=$(sbatch --parsable --export=ALL --array=0-$((SHARDS - 1)) "$here/shard.sbatch")
sbatch --parsable --export=ALL --dependency=afterok:"$array" "$here/merge.sbatch"
