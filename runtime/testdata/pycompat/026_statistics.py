# statistics.
import statistics as st
from fractions import Fraction
from decimal import Decimal
data = [2, 4, 4, 4, 5, 5, 7, 9]
print(st.mean(data), st.median(data), st.median_low(data), st.median_high(data), st.mode(data), st.multimode([1, 1, 2, 2, 3]))
print(st.pstdev(data), st.stdev(data), st.pvariance(data), st.variance(data))
print(st.quantiles(data, n=4), st.quantiles(range(1, 101), n=10), st.quantiles(data, n=4, method="inclusive"))
print(st.fmean([1.5, 2.5, 3.25]), round(st.geometric_mean([1, 2, 4, 8]), 12), st.harmonic_mean([40, 60]), st.mean([Fraction(1, 3), Fraction(1, 6)]), st.mean([Decimal("1.1"), Decimal("2.2")]))
print(st.median_grouped([1, 2, 2, 3, 4, 4, 4, 4, 4, 5]), st.mean([1, 2, 3, 4]), type(st.mean([1, 2])).__name__)
x, y = [1, 2, 3, 4, 5], [2, 4, 5, 4, 5]
print(round(st.correlation(x, y), 12), st.covariance(x, y), st.linear_regression(x, y))
nd = st.NormalDist(mu=100, sigma=15)
# cdf and pdf use the C library's erf and exp: rounded.
print(round(nd.cdf(115), 12), round(nd.inv_cdf(0.975), 12), round(nd.pdf(100), 12), nd.zscore(130), nd.quantiles(4), round(nd.overlap(st.NormalDist(110, 15)), 6))
print(st.NormalDist.from_samples(data), round(st.NormalDist().cdf(1.96), 6))
try:
    st.mean([])
except st.StatisticsError as e:
    print("StatisticsError:", e)
try:
    st.stdev([1])
except st.StatisticsError as e:
    print("StatisticsError:", e)
scores = {"ada": [90, 85, 77], "bob": [60, 75, 80, 95]}
print({k: round(st.mean(v), 2) for k, v in scores.items()}, st.mode(["red", "blue", "red"]))
