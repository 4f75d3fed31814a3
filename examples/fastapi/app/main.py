from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.core.db import engine
from app.core.errors import ConflictError, NotFoundError, RuleViolationError
from app.features.real_estate.routes import router as real_estate_router
from app.features.users.routes import router as users_router

app = FastAPI(title="Real estate service")
app.include_router(users_router)
app.include_router(real_estate_router)

_STATUS = {NotFoundError: 404, ConflictError: 409, RuleViolationError: 422}


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=_STATUS[type(exc)], content={"detail": str(exc)})


for _error in _STATUS:
    app.add_exception_handler(_error, _domain_error)


@app.get("/health")
async def health() -> dict:
    return {"status": "ok"}


@app.on_event("shutdown")
async def _dispose_engine() -> None:
    await engine.dispose()
