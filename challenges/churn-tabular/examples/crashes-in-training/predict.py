import os
import pickle

FEATURES = [
    "tenure_months",
    "seats",
    "charges_per_seat",
    "support_tickets_90d",
    "last_login_days",
    "features_used",
    "is_monthly",
]


def load(model_dir):
    with open(os.path.join(model_dir, "model.pkl"), "rb") as f:
        return pickle.load(f)


def predict(model, frame):
    df = frame.copy()
    df["charges_per_seat"] = df["monthly_charges"] / df["seats"]
    df["is_monthly"] = (df["contract_type"].str.strip().str.lower() == "month-to-month").astype(int)
    return model.predict_proba(df[FEATURES].fillna(-1))[:, 1]
