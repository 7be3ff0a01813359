# dffix in a container, used like hadolint's image:
#   docker build -t dffix .
#   docker run --rm -i dffix - < Dockerfile              (the fixed text on stdout)
#   docker run --rm -i dffix --check - < Dockerfile      (the problems)
#   docker run --rm -v "$PWD:/src" dffix --check .       (a whole tree)
FROM python:3.12-slim AS build
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.12-slim
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /src
USER 10001:10001
ENTRYPOINT ["dffix"]
