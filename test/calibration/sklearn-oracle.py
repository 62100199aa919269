#!/usr/bin/python3
"""Test-only oracle: scikit-learn's roc_auc_score and roc_curve on generated cohorts.

  sklearn-oracle.py generate > test/calibration/fixtures/sklearn-oracle.json   (cohorts + expected values)
  sklearn-oracle.py evaluate FIXTURE.json                                      (recompute for the fixture's cohorts)

Labels: 1 = positive (favorable) class; a higher score is the positive side.
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.metrics import roc_auc_score, roc_curve


def expected(positives, negatives):
    y = [1] * len(positives) + [0] * len(negatives)
    s = list(positives) + list(negatives)
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    # sklearn < 1.3 puts max + 1 as the first threshold, >= 1.3 puts inf: only thresholds[1:] are compared.
    return {
        "auc": float(roc_auc_score(y, s)),
        "fpr": [float(v) for v in fpr],
        "tpr": [float(v) for v in tpr],
        "thresholds": [float(v) for v in thr[1:]],
    }


def generate():
    rng = np.random.RandomState(20261206)
    cohorts = []
    specs = [
        ("separated-normal-36-19", 36, 19, 155.59, 17.26, 129.87, 18.35, 2),
        ("heavy-ties-rounded-to-10", 40, 30, 150, 20, 135, 20, -1),
        ("overlapping-200-150", 200, 150, 100, 30, 95, 30, 3),
        ("inverted-negatives-higher-25-25", 25, 25, 50, 10, 60, 10, 1),
        ("tiny-3-3", 3, 3, 1, 1, 0, 1, 0),
    ]
    for name, m, n, mp, sp, mn, sn, digits in specs:
        pos = np.round(rng.normal(mp, sp, m), digits)
        neg = np.round(rng.normal(mn, sn, n), digits)
        cohort = {"name": name, "positives": [float(v) for v in pos], "negatives": [float(v) for v in neg]}
        cohort.update(expected(cohort["positives"], cohort["negatives"]))
        cohorts.append(cohort)
    return {"generatedBy": "test/calibration/sklearn-oracle.py generate", "sklearn": sklearn.__version__, "cohorts": cohorts}


if __name__ == "__main__":
    if sys.argv[1:2] == ["generate"]:
        json.dump(generate(), sys.stdout, indent=1)
    elif sys.argv[1:2] == ["evaluate"]:
        with open(sys.argv[2]) as fh:
            fixture = json.load(fh)
        json.dump([dict(name=c["name"], **expected(c["positives"], c["negatives"])) for c in fixture["cohorts"]], sys.stdout)
    else:
        sys.exit("usage: sklearn-oracle.py generate | evaluate FIXTURE.json")
